import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dot, norm, orthonormalBasis, principalAnglesDegrees, symmetricEigen, topPrincipalComponents } from '../../src/engine/linalg';
import { Rng } from '../../src/engine/rng';

const close = (actual: number, expected: number, tol: number, what = '') =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what} ${actual} should be within ${tol} of ${expected}`);
const unit = (n: number, i: number) => Array.from({ length: n }, (_, j) => (j === i ? 1 : 0));
const randomVector = (rng: Rng, n: number) => Array.from({ length: n }, () => rng.normal());
const combine = (pairs: [number, number[]][]) => pairs[0][1].map((_, i) => pairs.reduce((s, [c, v]) => s + c * v[i], 0));

/** max |Qᵢ·Qⱼ - δᵢⱼ|. */
function orthogonalityError(q: number[][]): number {
  let e = 0;
  for (let i = 0; i < q.length; i++) for (let j = 0; j < q.length; j++) e = Math.max(e, Math.abs(dot(q[i], q[j]) - (i === j ? 1 : 0)));
  return e;
}

/** Distance from v to span(q), q orthonormal. */
function residual(v: number[], q: number[][]): number {
  return norm(q.reduce((r, u) => { const c = dot(u, v); return r.map((x, i) => x - c * u[i]); }, v.slice()));
}

test('orthonormalBasis spans the input and is orthonormal', () => {
  const rng = new Rng(1);
  const vs = [randomVector(rng, 6), randomVector(rng, 6), randomVector(rng, 6)];
  const q = orthonormalBasis(vs);
  assert.equal(q.length, 3);
  assert.ok(orthogonalityError(q) < 1e-14);
  for (const v of vs) assert.ok(residual(v, q) < 1e-12 * norm(v));
  // The first basis vector is the first input, normalised (Gram-Schmidt keeps the order).
  q[0].forEach((x, i) => close(x, vs[0][i] / norm(vs[0]), 1e-15));
});

test('orthonormalBasis drops dependent and zero vectors', () => {
  const rng = new Rng(2);
  const a = randomVector(rng, 5);
  const b = randomVector(rng, 5);
  const q = orthonormalBasis([a, [0, 0, 0, 0, 0], b, combine([[2, a], [-3, b]]), a.map((x) => x * 1e-3)]);
  assert.equal(q.length, 2);
  assert.deepEqual(orthonormalBasis([]), []);
  assert.equal(orthonormalBasis([unit(4, 0), unit(4, 1), unit(4, 2), unit(4, 3), [1, 1, 1, 1]]).length, 4);
});

test('orthonormalBasis stays orthogonal on ill-conditioned input (re-orthogonalisation)', () => {
  // Columns of the 7x7 Hilbert matrix (condition number ~5e8): plain modified Gram-Schmidt loses
  // orthogonality to ~eps * cond ≈ 1e-7 here; with the second pass it stays at rounding level.
  const n = 7;
  const hilbert = Array.from({ length: n }, (_, j) => Array.from({ length: n }, (_, i) => 1 / (i + j + 1)));
  const q = orthonormalBasis(hilbert);
  assert.equal(q.length, n);
  assert.ok(orthogonalityError(q) < 1e-13, `orthogonality error ${orthogonalityError(q)}`);
});

test('symmetricEigen: a known 2x2 and a diagonal matrix', () => {
  const { values, vectors } = symmetricEigen([[2, 1], [1, 2]]);
  close(values[0], 3, 1e-14);
  close(values[1], 1, 1e-14);
  vectors[0].forEach((x) => close(x, Math.SQRT1_2, 1e-14, 'top eigenvector'));
  close(Math.abs(dot(vectors[1], [1, -1])), Math.SQRT2, 1e-14, 'second eigenvector');
  const d = symmetricEigen([[1, 0, 0], [0, -4, 0], [0, 0, 7]]);
  assert.deepEqual(d.values, [7, 1, -4]);
  assert.deepEqual(d.vectors, [unit(3, 2), unit(3, 0), unit(3, 1)]);
  assert.deepEqual(symmetricEigen([]), { values: [], vectors: [] });
});

test('symmetricEigen decomposes random symmetric matrices: A v = λ v, V orthonormal, sorted, trace kept', () => {
  const rng = new Rng(3);
  for (let trial = 0; trial < 20; trial++) {
    const n = 1 + (trial % 9);
    const a: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i][j] = a[j][i] = rng.normal() * (trial % 3 === 0 ? 100 : 1);
    const scale = Math.max(...a.flat().map(Math.abs));
    const { values, vectors } = symmetricEigen(a);
    assert.equal(values.length, n);
    for (let i = 1; i < n; i++) assert.ok(values[i - 1] >= values[i], 'descending');
    assert.ok(orthogonalityError(vectors) < 1e-13);
    values.forEach((lambda, i) => {
      const av = a.map((row) => dot(row, vectors[i]));
      av.forEach((x, r) => close(x, lambda * vectors[i][r], 1e-12 * scale * n, `(A v - λ v)[${r}] n=${n}`));
    });
    close(values.reduce((s, x) => s + x, 0), a.reduce((s, row, i) => s + row[i], 0), 1e-12 * scale * n, 'trace');
    // Reconstruction A = Σ λ v vᵀ.
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) close(values.reduce((s, l, m) => s + l * vectors[m][i] * vectors[m][j], 0), a[i][j], 1e-12 * scale * n, 'reconstruction');
  }
});

test('symmetricEigen handles repeated eigenvalues', () => {
  // Q diag(5, 2, 2, 2) Qᵀ with a random orthonormal Q.
  const rng = new Rng(4);
  const q = orthonormalBasis([randomVector(rng, 4), randomVector(rng, 4), randomVector(rng, 4), randomVector(rng, 4)]);
  const lambdas = [5, 2, 2, 2];
  const a = q.map((_, i) => q.map((_, j) => lambdas.reduce((s, l, m) => s + l * q[m][i] * q[m][j], 0)));
  const { values, vectors } = symmetricEigen(a);
  values.forEach((v, i) => close(v, lambdas[i], 1e-13));
  close(Math.abs(dot(vectors[0], q[0])), 1, 1e-13, 'top eigenvector');
});

test('topPrincipalComponents recovers known directions in order of variance', () => {
  const rng = new Rng(5);
  const d = 5;
  const [u1, u2] = orthonormalBasis([randomVector(rng, d), randomVector(rng, d)]);
  const mean = [10, -5, 3, 0, 100];
  const data = Array.from({ length: 4000 }, () => {
    const a = 3 * rng.normal(); // std 3 along u1
    const b = 1 * rng.normal(); // std 1 along u2
    return mean.map((m, i) => m + a * u1[i] + b * u2[i] + 0.05 * rng.normal());
  });
  const pcs = topPrincipalComponents(data, 2);
  assert.equal(pcs.length, 2);
  pcs.forEach((p) => close(norm(p), 1, 1e-12, 'unit length'));
  assert.ok(Math.abs(dot(pcs[0], u1)) > 0.999, `pc1·u1 = ${dot(pcs[0], u1)}`);
  assert.ok(Math.abs(dot(pcs[1], u2)) > 0.99, `pc2·u2 = ${dot(pcs[1], u2)}`);
  const angles = principalAnglesDegrees(pcs, [u1, u2]);
  assert.ok(angles[1] < 1, `angles ${angles}`);
  assert.equal(topPrincipalComponents(data, 0).length, 0);
  assert.throws(() => topPrincipalComponents(data, 6), RangeError);
});

test('principal angles: same subspace (rotated basis) 0°, orthogonal 90°, known 45° cases', () => {
  const e = (i: number) => unit(5, i);
  const c = Math.cos(0.3);
  const s = Math.sin(0.3);
  const rotated = [combine([[c, e(0)], [s, e(1)]]), combine([[-s, e(0)], [c, e(1)]])];
  principalAnglesDegrees([e(0), e(1)], rotated).forEach((a) => close(a, 0, 1e-5, 'rotated copy'));
  // Scaled, redundant spanning set of the same plane.
  principalAnglesDegrees([e(0), e(1)], [rotated[0].map((x) => 7 * x), rotated[1], combine([[1, e(0)], [1, e(1)]])]).forEach((a) => close(a, 0, 1e-5));

  assert.deepEqual(principalAnglesDegrees([e(0), e(1)], [e(2), e(3)]), [90, 90]);
  const [a45] = principalAnglesDegrees([e(0)], [combine([[1, e(0)], [1, e(1)]])]);
  close(a45, 45, 1e-12, 'line vs line');
  const mixed = principalAnglesDegrees([e(0), e(1)], [e(0), combine([[1, e(1)], [1, e(2)]])]);
  close(mixed[0], 0, 1e-5);
  close(mixed[1], 45, 1e-10);
  // Different dimensions, either order: the line e0 + e3 makes 45° with span(e0, e1, e2).
  close(principalAnglesDegrees([e(0), e(1), e(2)], [combine([[1, e(0)], [1, e(3)]])])[0], 45, 1e-10);
  close(principalAnglesDegrees([combine([[1, e(0)], [1, e(3)]])], [e(0), e(1), e(2)])[0], 45, 1e-10);
  assert.equal(principalAnglesDegrees([e(0), e(1), e(2)], [e(3)]).length, 1);
  assert.deepEqual(principalAnglesDegrees([[0, 0, 0, 0, 0]], [e(1)]), []);
  assert.throws(() => principalAnglesDegrees([[1, 0]], [[1, 0, 0]]), RangeError);
});

test('principal angles between random lines match acos|cos|, ascending, symmetric in the arguments', () => {
  const rng = new Rng(6);
  for (let trial = 0; trial < 10; trial++) {
    const a = randomVector(rng, 4);
    const b = randomVector(rng, 4);
    const expected = (Math.acos(Math.abs(dot(a, b)) / (norm(a) * norm(b))) * 180) / Math.PI;
    close(principalAnglesDegrees([a], [b])[0], expected, 1e-9);
  }
  const A = [randomVector(rng, 6), randomVector(rng, 6), randomVector(rng, 6)];
  const B = [randomVector(rng, 6), randomVector(rng, 6), randomVector(rng, 6)];
  const ab = principalAnglesDegrees(A, B);
  const ba = principalAnglesDegrees(B, A);
  assert.equal(ab.length, 3);
  for (let i = 1; i < 3; i++) assert.ok(ab[i - 1] <= ab[i], 'ascending');
  ab.forEach((x, i) => close(x, ba[i], 1e-9, 'symmetric'));
  // Two 3-dimensional subspaces of R^6 in general position: all angles strictly between 0 and 90.
  ab.forEach((x) => assert.ok(x > 0.01 && x < 89.99, `angle ${x}`));
});
