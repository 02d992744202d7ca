// Small dense linear algebra on plain number arrays, for analysing latent spaces (principal components of the
// codes, angles between subspaces). Written for clarity, not speed: the matrices here are latent-sized (tens of
// rows), so O(n^3) loops in float64 are fine. A vector is a number[]; a matrix is row-major number[][].

export type Vector = number[];
export type Matrix = number[][];

export function dot(a: Vector, b: Vector): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function norm(a: Vector): number {
  return Math.sqrt(dot(a, a));
}

/** Check that every vector has the same length, and return it (0 for an empty list). */
function commonLength(vectors: Vector[], what: string): number {
  const n = vectors.length > 0 ? vectors[0].length : 0;
  for (const v of vectors) if (v.length !== n) throw new RangeError(`${what}: vectors of different lengths (${n} and ${v.length})`);
  return n;
}

/**
 * An orthonormal basis of span(columns), by modified Gram-Schmidt with one re-orthogonalisation pass.
 *
 * Each vector v in turn has its components along the basis found so far removed, one basis vector at a time
 * (modified GS: the projection onto q_j uses the already partly reduced v, which is much more stable than
 * classical GS). Rounding still leaves components of size ~eps * ||v|| / ||residual|| along the basis when v is
 * nearly dependent, so the removal is done a second time ("twice is enough", Giraud et al. 2005), which brings
 * the loss of orthogonality down to ~eps whatever the conditioning. A vector whose residual is below
 * `tol` times its original norm is numerically in the span already and is dropped (as are zero vectors), so
 * the result has rank(columns) vectors, each of the input length n.
 */
export function orthonormalBasis(columns: Vector[], tol = 1e-10): Vector[] {
  commonLength(columns, 'orthonormalBasis');
  const basis: Vector[] = [];
  for (const column of columns) {
    const original = norm(column);
    if (!(original > 0)) continue; // zero (or NaN) vector: contributes nothing
    const v = column.slice();
    for (let pass = 0; pass < 2; pass++) {
      for (const q of basis) {
        const c = dot(q, v);
        for (let i = 0; i < v.length; i++) v[i] -= c * q[i];
      }
    }
    const r = norm(v);
    if (r <= tol * original) continue; // numerically dependent on the vectors already in the basis
    basis.push(v.map((x) => x / r));
  }
  return basis;
}

/**
 * Eigen-decomposition of a symmetric matrix by the cyclic Jacobi method.
 *
 * A Jacobi rotation J(p, q, θ) in the (p, q) plane is chosen so that A' = Jᵀ A J has A'[p][q] = 0. Zeroing one
 * pair can re-fill others, but each rotation moves off²(A) = Σ_{i≠j} A[i][j]² into the diagonal (off² drops by
 * exactly 2·A[p][q]²), so sweeping over all pairs again and again converges (quadratically, in the end) to a
 * diagonal matrix D = Vᵀ A V. The diagonal holds the eigenvalues and the accumulated rotations V = J1 J2 ...
 * have the eigenvectors as columns. The method is slow for big matrices but accurate and simple.
 *
 * Returns the eigenvalues in descending order and vectors[i], the unit eigenvector of values[i]. The sign of an
 * eigenvector is arbitrary; here its largest-magnitude component is made positive, so results are reproducible.
 */
export function symmetricEigen(a: Matrix, maxSweeps = 100): { values: number[]; vectors: Vector[] } {
  const n = a.length;
  for (const row of a) if (row.length !== n) throw new RangeError('symmetricEigen: the matrix is not square');
  const A = a.map((row) => row.slice());
  const V: Matrix = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));

  // Only the symmetric part counts: average A with its transpose, so that tiny asymmetries do no harm.
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) A[i][j] = A[j][i] = (A[i][j] + A[j][i]) / 2;

  let total = 0;
  for (const row of A) total += dot(row, row);
  const offDiagonal = () => {
    let s = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) s += A[i][j] * A[i][j];
    return s;
  };

  for (let sweep = 0; sweep < maxSweeps && offDiagonal() > 1e-30 * total; sweep++) {
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = A[p][q];
        if (apq === 0) continue;
        // With θ = (A_qq - A_pp) / (2 A_pq), the rotation angle φ satisfies cot(2φ) = θ; t = tan φ is the smaller
        // root of t² + 2θt - 1 = 0 (the rotation by less than 45°, which is the stable choice).
        const theta = (A[q][q] - A[p][p]) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.hypot(theta, 1));
        const c = 1 / Math.hypot(t, 1);
        const s = t * c;
        // A <- Jᵀ A J touches rows and columns p and q only.
        for (let r = 0; r < n; r++) {
          if (r === p || r === q) continue;
          const arp = A[r][p];
          const arq = A[r][q];
          A[r][p] = A[p][r] = c * arp - s * arq;
          A[r][q] = A[q][r] = s * arp + c * arq;
        }
        A[p][p] -= t * apq;
        A[q][q] += t * apq;
        A[p][q] = A[q][p] = 0;
        // V <- V J accumulates the rotations (columns of V are the eigenvectors).
        for (let r = 0; r < n; r++) {
          const vrp = V[r][p];
          const vrq = V[r][q];
          V[r][p] = c * vrp - s * vrq;
          V[r][q] = s * vrp + c * vrq;
        }
      }
    }
  }

  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => A[j][j] - A[i][i]);
  const values = order.map((i) => A[i][i]);
  const vectors = order.map((i) => {
    const v = V.map((row) => row[i]);
    let big = 0;
    for (const x of v) if (Math.abs(x) > Math.abs(big)) big = x;
    const scale = (big < 0 ? -1 : 1) / norm(v);
    return v.map((x) => x * scale);
  });
  return { values, vectors };
}

/**
 * The top-k principal directions of `data` (rows = examples, columns = features): the unit eigenvectors of the
 * sample covariance C = Xcᵀ Xc / (n - 1) of the centred data Xc, for its k largest eigenvalues (the directions
 * of largest variance, in decreasing order of variance).
 */
export function topPrincipalComponents(data: Matrix, k: number): Vector[] {
  const n = data.length;
  if (n === 0) throw new RangeError('topPrincipalComponents: no data');
  const d = commonLength(data, 'topPrincipalComponents');
  if (!Number.isInteger(k) || k < 0 || k > d) throw new RangeError(`topPrincipalComponents: k must be an integer in 0..${d}, got ${k}`);

  const mean = new Array<number>(d).fill(0);
  for (const row of data) for (let j = 0; j < d; j++) mean[j] += row[j] / n;
  const cov: Matrix = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  const denominator = Math.max(1, n - 1);
  for (const row of data) {
    const x = row.map((v, j) => v - mean[j]);
    for (let i = 0; i < d; i++) for (let j = i; j < d; j++) cov[i][j] += (x[i] * x[j]) / denominator;
  }
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) cov[i][j] = cov[j][i];
  return symmetricEigen(cov).vectors.slice(0, k);
}

/**
 * Principal angles (degrees, ascending) between span(a) and span(b), two sets of vectors of the same length n.
 *
 * With orthonormal bases Qa (ka vectors) and Qb (kb vectors), the singular values σ1 >= σ2 >= ... of the
 * ka x kb matrix M = Qa Qbᵀ (M[i][j] = qa_i · qb_j) are the cosines of the principal angles (Björck & Golub
 * 1973); there are min(ka, kb) of them. They are found as square roots of the eigenvalues of the Gram matrix of
 * the smaller side (Mᵀ M if kb <= ka, else M Mᵀ), clamped to [0, 1] against rounding. 0° means a shared
 * direction, 90° an orthogonal one. Through acos, angles below ~1e-6 degrees are not resolved (cos is flat at
 * 0), which is plenty for comparing latent subspaces. Dependent input vectors are dropped by the orthonormalisation;
 * if either span is {0} there are no angles.
 */
export function principalAnglesDegrees(a: Vector[], b: Vector[]): number[] {
  const na = commonLength(a, 'principalAnglesDegrees');
  const nb = commonLength(b, 'principalAnglesDegrees');
  if (a.length > 0 && b.length > 0 && na !== nb) throw new RangeError(`principalAnglesDegrees: vectors of length ${na} and ${nb}`);
  let qa = orthonormalBasis(a);
  let qb = orthonormalBasis(b);
  if (qa.length === 0 || qb.length === 0) return [];
  if (qb.length > qa.length) [qa, qb] = [qb, qa]; // make qb the smaller side; the angles are symmetric in a, b

  // G = Mᵀ M, kb x kb, with M[i][j] = qa_i · qb_j.
  const m = qa.map((u) => qb.map((v) => dot(u, v)));
  const g = qb.map((_, i) => qb.map((_, j) => m.reduce((s, row) => s + row[i] * row[j], 0)));
  return symmetricEigen(g).values.map((lambda) => {
    const sigma = Math.min(1, Math.sqrt(Math.max(0, lambda)));
    return (Math.acos(sigma) * 180) / Math.PI;
  });
}

/** The lower-triangular L with A = L L^T of a symmetric positive-definite A. Throws when A is not positive definite. */
export function cholesky(a: Matrix): number[][] {
  const n = a.length;
  const l: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i][j];
      for (let k = 0; k < j; k++) s -= l[i][k] * l[j][k];
      if (i === j) {
        if (!(s > 0)) throw new RangeError('cholesky: the matrix is not positive definite');
        l[i][i] = Math.sqrt(s);
      } else l[i][j] = s / l[j][j];
    }
  }
  return l;
}

/** Solve A x = b for a symmetric positive-definite A (Cholesky, A = L L^T). Throws when A is not positive definite. */
export function solveSymmetric(a: Matrix, b: Vector): number[] {
  const n = b.length;
  const l = cholesky(a);
  const y = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i][k] * y[k];
    y[i] = s / l[i][i];
  }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < n; k++) s -= l[k][i] * x[k];
    x[i] = s / l[i][i];
  }
  return x;
}

/** The symmetric positive semi-definite square root V diag(sqrt(max(λ, 0))) Vᵀ of a symmetric matrix (Jacobi). */
export function symmetricSqrt(a: Matrix): Matrix {
  const { values, vectors } = symmetricEigen(a);
  const n = a.length;
  const out: Matrix = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  values.forEach((lambda, k) => {
    const s = Math.sqrt(Math.max(0, lambda));
    if (s === 0) return;
    const v = vectors[k];
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i][j] += s * v[i] * v[j];
  });
  return out;
}

/** A B for square matrices. */
export function matMul(a: Matrix, b: Matrix): Matrix {
  const n = a.length;
  const m = b[0]?.length ?? 0;
  const out: Matrix = Array.from({ length: n }, () => new Array<number>(m).fill(0));
  for (let i = 0; i < n; i++) {
    const row = out[i];
    for (let k = 0; k < b.length; k++) {
      const aik = a[i][k];
      if (aik === 0) continue;
      const bk = b[k];
      for (let j = 0; j < m; j++) row[j] += aik * bk[j];
    }
  }
  return out;
}

/**
 * Tr sqrt(S1^½ S2 S1^½) for symmetric positive semi-definite S1 and S2: the cross term of the Fréchet distance between
 * Gaussians. S1^½ S2 S1^½ is symmetric and positive semi-definite (unlike S1 S2, whose square root has the same trace),
 * so both square roots come from the Jacobi eigendecomposition; eigenvalues below 0 (rounding) count as 0.
 */
export function traceSqrtProduct(s1: Matrix, s2: Matrix): number {
  const r = symmetricSqrt(s1);
  const m = matMul(matMul(r, s2), r);
  return symmetricEigen(m).values.reduce((t, lambda) => t + Math.sqrt(Math.max(0, lambda)), 0);
}
