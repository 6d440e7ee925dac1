//! The token hash: a small, fixed 64-bit hash whose values are part of the stored model format,
//! so it must never change (little-endian reads, no per-process seed).

const K0: u64 = 0x9E37_79B9_7F4A_7C15;
const K1: u64 = 0xC2B2_AE3D_27D4_EB4F;
const K2: u64 = 0x1656_67B1_9E37_79F9;

/// Hashes `prefix` followed by `word` (as if concatenated) into a stable 64-bit token.
pub fn token(prefix: &[u8], word: &[u8]) -> u64 {
    let mut h = K2 ^ ((prefix.len() + word.len()) as u64).wrapping_mul(K0);
    h = absorb(h, prefix);
    h = mix(h ^ 0xFF);
    h = absorb(h, word);
    finish(h)
}

/// Absorbs bytes eight at a time, then the tail.
fn absorb(mut h: u64, bytes: &[u8]) -> u64 {
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut lane = [0u8; 8];
        lane.copy_from_slice(chunk);
        h = mix(h ^ u64::from_le_bytes(lane));
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut lane = [0u8; 8];
        lane[..rest.len()].copy_from_slice(rest);
        h = mix(h ^ u64::from_le_bytes(lane) ^ ((rest.len() as u64) << 56));
    }
    h
}

fn mix(h: u64) -> u64 {
    h.wrapping_mul(K0).rotate_left(31).wrapping_mul(K1)
}

/// The final avalanche (xxh64's).
fn finish(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(K1);
    h ^= h >> 29;
    h = h.wrapping_mul(K2);
    h ^ (h >> 32)
}

#[cfg(test)]
mod tests {
    use super::token;

    const PINNED: [u64; 3] = [4042162109111762297, 11440368084738119301, 18142031542908364912];

    #[test]
    fn values_are_stable() {
        // Pinned: stored models (the default one too) depend on these exact values.
        assert_eq!(token(b"", b""), PINNED[0]);
        assert_eq!(token(b"subject:", b"free"), PINNED[1]);
        assert_eq!(token(b"", b"supercalifragilistic"), PINNED[2]);
        assert_ne!(token(b"subject:", b"free"), token(b"", b"free"));
        assert_ne!(token(b"a", b"bc"), token(b"ab", b"c"));
        assert_ne!(token(b"", b"abcdefgh"), token(b"", b"abcdefgh\0"));
    }
}
