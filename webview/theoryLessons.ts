// The Theory Lab's words: each lesson's title, what the learner is looking at (two or three sentences) and its
// formulas in TeX (rendered by KaTeX). No numbers of any run here: those come from the lesson's file only.
import type { TheoryLesson } from '../src/core/theory';

export interface LessonText {
  title: string;
  /** Short tab label. */
  tab: string;
  intro: string;
  /** The intro for a run with a 1-D code, where the view draws curves instead of a map (when it differs). */
  intro1d?: string;
  /** Display formulas (TeX). */
  formulas: string[];
}

export const LESSON_TEXT: Record<TheoryLesson, LessonText> = {
  posterior: {
    title: 'The true posterior p(z|x) and its approximation q(z|x)',
    tab: 'Posterior',
    intro:
      'The heatmap is the decoder\'s true posterior p(z|x) for one test example, computed on a grid by quadrature; the two ellipses are the encoder\'s q(z|x) at 1σ and 2σ. ' +
      'The ELBO falls short of log p(x) by exactly KL(q(z|x) ‖ p(z|x)): the further the ellipses sit from the heat, the larger the gap. ' +
      'Importance-weighted bounds with k samples close the gap as k grows. Click a code in the scatter to look at another test example.',
    intro1d:
      'The solid curve is the decoder\'s true posterior p(z|x) for one test example, computed on a grid by quadrature; the dashed curve is the encoder\'s Gaussian q(z|x). ' +
      'The ELBO falls short of log p(x) by exactly KL(q(z|x) ‖ p(z|x)): the less the two curves overlap, the larger the gap. ' +
      'Importance-weighted bounds with k samples close the gap as k grows. Click a code in the scatter to look at another test example.',
    formulas: [
      '\\log p(x) = \\underbrace{\\mathbb{E}_{q(z\\mid x)}\\big[\\log p(x\\mid z)\\big] - \\mathrm{KL}\\big(q(z\\mid x)\\,\\|\\,p(z)\\big)}_{\\text{ELBO}} + \\mathrm{KL}\\big(q(z\\mid x)\\,\\|\\,p(z\\mid x)\\big)',
      '\\mathcal{L}_k = \\mathbb{E}_{z_1,\\dots,z_k \\sim q}\\Big[\\log \\frac{1}{k}\\sum_{i=1}^{k} \\frac{p(x, z_i)}{q(z_i\\mid x)}\\Big] \\;\\le\\; \\log p(x)',
    ],
  },
  montecarlo: {
    title: 'Monte Carlo vs closed form',
    tab: 'Monte Carlo',
    intro:
      'Both terms of the ELBO are expectations under q(z|x). For two Gaussians the KL term has a closed form (the line); its L-sample Monte Carlo estimate (the points, with a band of ±1 standard error) scatters around it and tightens like 1/√L. ' +
      'The reconstruction term has no closed form: it is always estimated by sampling, and its reference is the largest L\'s mean.',
    formulas: [
      '\\mathrm{KL}\\big(q(z\\mid x)\\,\\|\\,p(z)\\big) = \\tfrac12 \\sum_{j} \\big(\\mu_j^2 + \\sigma_j^2 - 1 - \\log \\sigma_j^2\\big) \\;\\approx\\; \\frac{1}{L}\\sum_{l=1}^{L} \\big[\\log q(z_l\\mid x) - \\log p(z_l)\\big], \\quad z_l \\sim q(z\\mid x)',
      '\\mathbb{E}_{q(z\\mid x)}\\big[\\log p(x\\mid z)\\big] \\approx \\frac{1}{L}\\sum_{l=1}^{L} \\log p(x\\mid z_l), \\qquad \\mathrm{sd} \\propto \\frac{1}{\\sqrt{L}}',
    ],
  },
  reparam: {
    title: 'Why reparameterise',
    tab: 'Reparameterisation',
    intro:
      'Two unbiased estimators of the same gradient of the ELBO with respect to the encoder\'s weights, measured on this run: the score-function (REINFORCE) estimator, with and without a leave-one-out baseline, and the reparameterised one that differentiates through z = μ + σε. ' +
      'Both variances fall like 1/L (slope −1 on these log-log axes), but the score function starts orders of magnitude higher: the ratio is what reparameterisation buys.',
    formulas: [
      '\\nabla_\\phi\\, \\mathbb{E}_{q_\\phi(z\\mid x)}[f(z)] = \\mathbb{E}_{q_\\phi}\\big[f(z)\\,\\nabla_\\phi \\log q_\\phi(z\\mid x)\\big] = \\mathbb{E}_{\\varepsilon \\sim \\mathcal{N}(0, I)}\\big[\\nabla_\\phi f(\\mu_\\phi + \\sigma_\\phi \\odot \\varepsilon)\\big]',
      'f(z) = \\log p(x\\mid z) + \\log p(z) - \\log q_\\phi(z\\mid x)',
    ],
  },
  holes: {
    title: 'Holes in the code space',
    tab: 'Holes',
    intro:
      'Left, the density of the codes of training examples (for a VAE the aggregate posterior q(z), the mean of the encoder\'s Gaussians); right, the prior p(z) = N(0, I) that generation samples from. ' +
      'Where the prior has mass but no codes lie (a hole), a prior sample decodes to something the decoder never learned; the prior mass in holes is the chance of drawing such a z.',
    formulas: [
      'q(z) = \\frac{1}{N}\\sum_{i=1}^{N} q(z\\mid x_i), \\qquad \\text{hole: } q(z) < \\tau\\, p(z), \\qquad \\text{mass} = \\int_{\\text{holes}} p(z)\\,dz',
    ],
  },
  'linear-pca': {
    title: 'Linear autoencoder = PCA',
    tab: 'Linear AE = PCA',
    intro:
      'A linear autoencoder trained with squared error learns the same subspace as the top-k principal components of the data, though not the same basis. ' +
      'The principal angles between the decoder\'s span and the PCA subspace measure how close they are (0° is identical), and the two reconstruction errors should agree.',
    formulas: [
      '\\min_{W_e, W_d} \\sum_i \\lVert x_i - W_d W_e x_i \\rVert^2 \\;\\Rightarrow\\; \\operatorname{span}(W_d) = \\operatorname{span}(u_1, \\dots, u_k), \\qquad \\cos\\theta_i = \\sigma_i\\big(Q_{AE}^\\top Q_{PCA}\\big)',
    ],
  },
  likelihoods: {
    title: 'BCE or MSE',
    tab: 'Likelihoods',
    intro:
      'The reconstruction loss is a negative log-likelihood. For a Gaussian decoder it is the squared error scaled by 1/(2σ²) plus a constant; for a Bernoulli decoder it is exactly the binary cross-entropy. ' +
      'The table compares the engine\'s −log p(x|z) with the textbook formula on this run\'s test examples.',
    formulas: [
      '-\\log \\mathcal{N}(x; \\hat{x}, \\sigma^2 I) = \\frac{\\lVert x - \\hat{x} \\rVert^2}{2\\sigma^2} + \\frac{n}{2}\\log(2\\pi\\sigma^2)',
      '-\\log \\mathrm{Bern}(x; \\hat{x}) = -\\sum_{i=1}^{n} \\big[x_i \\log \\hat{x}_i + (1 - x_i)\\log(1 - \\hat{x}_i)\\big]',
    ],
  },
};
