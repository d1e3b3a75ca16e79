//! One layer's weights, drawn and applied without being stored: Gaussian rows, or
//! Householder reflectors of a Haar-orthogonal matrix.

use super::Workspace;
use crate::mc::fast::normals::NormalStream;
use crate::nets::linalg::{dot, dot2};

/// x = (σ_w/√n)·W·y and t = (σ_w/√n)·W·v for W with N(0, 1) entries, drawn row by row.
pub(super) fn gaussian_layer(
    sigma_w: f64,
    n: usize,
    m: usize,
    ws: &mut Workspace,
    normals: &mut NormalStream,
) {
    let scale = sigma_w / (n as f64).sqrt();
    let (y, v) = (&ws.y[..n], &ws.v[..n]);
    for i in 0..m {
        let row = &mut ws.row[..n];
        normals.fill(row);
        let (a, b) = dot2(row, y, v);
        ws.x[i] = scale * a;
        ws.t[i] = scale * b;
    }
}

/// x and t through σ_w·√(N/n) times the first m rows (m ≤ n) or the first n columns (m > n)
/// of a Haar-random N×N orthogonal matrix, N = max(n, m), applied to y and v.
///
/// Q = H_1·…·H_N·D is Haar (Stewart 1980; Mezzadri 2007): H_k reflects coordinates k…N with
/// the Householder vector of a fresh normal vector z_k of length N−k+1, and
/// D_k = −sign(z_k1) (the sign that makes the triangular factor of the underlying Gaussian
/// matrix positive). So is Qᵀ = D·H_N·…·H_1.
/// - m ≤ n: the first m rows of Qᵀ. Coordinate k is final after H_k and D_k, so only
///   H_1…H_m are drawn: m·N − m(m−1)/2 normals.
/// - m > n: the first n columns of Q, i.e. Q applied to y padded with zeros. H_N…H_{n+1}
///   act on the zero padding only, so H_n…H_1 are drawn and applied in that order (D_k
///   acts on coordinate k, untouched by the later reflectors, before H_k): n·N − n(n−1)/2
///   normals.
pub(super) fn orthogonal_layer(
    sigma_w: f64,
    n: usize,
    m: usize,
    ws: &mut Workspace,
    normals: &mut NormalStream,
) {
    let big = n.max(m);
    let scale = sigma_w * (big as f64 / n as f64).sqrt();
    for buf in [&mut ws.y, &mut ws.v] {
        if buf.len() < big {
            buf.resize(big, 0.0);
        }
        buf[n..big].fill(0.0);
    }
    if ws.row.len() < big {
        ws.row.resize(big, 0.0);
    }
    // One reflector H_k (0-based k: coordinates k…N−1), with its sign D_k applied to
    // coordinate k after (for Qᵀ) or before (for Q) the reflection.
    let mut reflect = |k: usize, before: bool| {
        let z = &mut ws.row[..big - k];
        normals.fill(z);
        let norm = dot(z, z).sqrt();
        let sign = if z[0] >= 0.0 { 1.0 } else { -1.0 };
        z[0] += sign * norm;
        let ww = dot(z, z);
        for vec in [&mut ws.y, &mut ws.v] {
            let tail = &mut vec[k..big];
            if before {
                tail[0] *= -sign;
            }
            if ww > 0.0 {
                let s = 2.0 * dot(z, tail) / ww;
                for (t, &w) in tail.iter_mut().zip(z.iter()) {
                    *t -= s * w;
                }
            }
            if !before {
                tail[0] *= -sign;
            }
        }
    };
    if m <= n {
        for k in 0..m {
            reflect(k, false);
        }
    } else {
        for k in (0..n).rev() {
            reflect(k, true);
        }
    }
    for i in 0..m {
        ws.x[i] = scale * ws.y[i];
        ws.t[i] = scale * ws.v[i];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mc::fast::Isa;

    #[test]
    fn orthogonal_layer_preserves_norms() {
        // Square: ‖Qᵀy‖ = ‖y‖; m < n: rows orthonormal, so ‖x‖ ≤ scale·‖y‖.
        let mut ws = Workspace::default();
        let mut normals = NormalStream::new(&mut crate::mc::rng::block_rng(3, 0, 0), Isa::detect());
        for (n, m) in [(37, 37), (40, 25), (25, 40)] {
            let big = n.max(m);
            for buf in [&mut ws.y, &mut ws.v, &mut ws.x, &mut ws.t, &mut ws.row] {
                buf.clear();
                buf.resize(big, 0.0);
            }
            for i in 0..n {
                ws.y[i] = (i as f64 * 0.37).sin();
                ws.v[i] = if i == 0 { 1.0 } else { 0.0 };
            }
            let ny = dot(&ws.y[..n], &ws.y[..n]);
            orthogonal_layer(1.0, n, m, &mut ws, &mut normals);
            let scale2 = big as f64 / n as f64;
            let nx = dot(&ws.x[..m], &ws.x[..m]) / scale2;
            let nt = dot(&ws.t[..m], &ws.t[..m]) / scale2;
            if m >= n {
                assert!((nx - ny).abs() < 1e-12 * ny, "{n}x{m}: {nx} vs {ny}");
                assert!((nt - 1.0).abs() < 1e-12);
            } else {
                assert!(nx < ny && nt < 1.0);
            }
        }
    }
}
