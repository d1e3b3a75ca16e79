//! One layer's weights, drawn and applied without being stored: Gaussian rows, or
//! Householder reflectors of a Haar-orthogonal matrix.

use super::Workspace;
use super::fused::TILE_ROWS;
use crate::mc::fast::Isa;
use crate::mc::fast::normals::NormalStream;

/// x = (σ_w/√n)·W·y and t = (σ_w/√n)·W·v for W with N(0, 1) entries, drawn in tiles of
/// [`TILE_ROWS`] rows (one call of the normal stream per tile: the same normals, in the
/// same order, as row by row) and dotted with y and v while in L1.
pub(super) fn gaussian_layer(
    sigma_w: f64,
    n: usize,
    m: usize,
    ws: &mut Workspace,
    normals: &mut NormalStream,
    isa: Isa,
) {
    let scale = sigma_w / (n as f64).sqrt();
    let (y, v) = (&ws.y[..n], &ws.v[..n]);
    let mut i = 0;
    while i < m {
        let rows = (m - i).min(TILE_ROWS);
        let tile = &mut ws.rows[..rows * n];
        normals.fill(tile);
        let (x, t) = (&mut ws.x[i..i + rows], &mut ws.t[i..i + rows]);
        isa.rows_dot2(tile, y, v, x, t);
        for (x, t) in x.iter_mut().zip(t) {
            *x *= scale;
            *t *= scale;
        }
        i += rows;
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
    isa: Isa,
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
        isa.reflect(z, &mut ws.y[k..big], &mut ws.v[k..big], before);
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
    use crate::nets::network::fused::dot;

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
            orthogonal_layer(1.0, n, m, &mut ws, &mut normals, Isa::detect());
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
