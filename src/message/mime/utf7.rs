//! UTF-7 (RFC 2152), which encoding_rs leaves out: ASCII as itself, other text as modified
//! base64 of UTF-16 between `+` and `-` (or the first octet outside the base64 alphabet).

/// `bytes` in UTF-7 as UTF-8; never fails (a broken shift sequence or unpaired surrogate
/// becomes U+FFFD, an octet above 0x7F is read as Latin-1).
pub(crate) fn decode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        i += 1;
        if b != b'+' {
            out.push(char::from(b));
            continue;
        }
        // `+-` is a literal `+`.
        if bytes.get(i) == Some(&b'-') {
            out.push('+');
            i += 1;
            continue;
        }
        let run = bytes[i..].iter().take_while(|&&c| sextet(c).is_some()).count();
        push_utf16(&bytes[i..i + run], &mut out);
        i += run;
        // The `-` that ends a shift sequence is absorbed.
        if bytes.get(i) == Some(&b'-') {
            i += 1;
        }
    }
    out
}

/// The value of a base64 digit.
fn sextet(b: u8) -> Option<u32> {
    match b {
        b'A'..=b'Z' => Some(u32::from(b - b'A')),
        b'a'..=b'z' => Some(u32::from(b - b'a') + 26),
        b'0'..=b'9' => Some(u32::from(b - b'0') + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Appends the UTF-16 code units that the base64 digits `run` carry (leftover bits dropped).
fn push_utf16(run: &[u8], out: &mut String) {
    let (mut bits, mut count) = (0u32, 0u32);
    let mut units = Vec::with_capacity(run.len() * 6 / 16);
    for &digit in run {
        bits = ((bits << 6) | sextet(digit).unwrap_or(0)) & 0x3f_ffff;
        count += 6;
        if count >= 16 {
            count -= 16;
            units.push((bits >> count) as u16);
        }
    }
    out.extend(char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)));
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn decodes_shift_sequences() {
        assert_eq!(decode(b"Hi Mom -+Jjo--!"), "Hi Mom -\u{263a}-!");
        assert_eq!(decode(b"A+ImIDkQ."), "A\u{2262}\u{391}.");
        assert_eq!(decode(b"+ZeVnLIqe-"), "\u{65e5}\u{672c}\u{8a9e}");
        assert_eq!(decode(b"1 +- 1"), "1 + 1");
        assert_eq!(decode(b"+2D3fAQ-"), "\u{1f701}");
    }

    #[test]
    fn broken_input_is_read_lossily() {
        assert_eq!(decode(b"+"), "");
        assert_eq!(decode(b"+A-x"), "x");
        assert_eq!(decode(b"+2D0-"), "\u{fffd}");
        assert_eq!(decode(b"caf\xe9"), "caf\u{e9}");
    }
}
