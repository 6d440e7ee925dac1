//! Modified UTF-7 (RFC 3501 5.1.3), the mailbox names of IMAP4rev1 clients: printable ASCII
//! stands for itself (`&` as `&-`), every other run of characters is `&`, the base64 of its
//! UTF-16BE (with `,` for `/`, no padding), `-`. Clients that speak UTF-8 (IMAP4rev2,
//! UTF8=ACCEPT) send and see names in UTF-8; the store keeps the modified UTF-7 form.

/// The base64 alphabet of modified UTF-7.
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/// Whether `c` stands for itself.
fn is_direct(c: char) -> bool {
    (' '..='~').contains(&c)
}

/// `name` in modified UTF-7.
pub fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut run: Vec<u16> = Vec::new();
    for c in name.chars() {
        if is_direct(c) {
            flush(&mut out, &mut run);
            out.push(c);
            if c == '&' {
                out.push('-');
            }
        } else {
            let mut units = [0; 2];
            run.extend_from_slice(c.encode_utf16(&mut units));
        }
    }
    flush(&mut out, &mut run);
    out
}

/// Writes a run of UTF-16 units as `&base64-` and empties it.
fn flush(out: &mut String, run: &mut Vec<u16>) {
    if run.is_empty() {
        return;
    }
    let octets: Vec<u8> = run.drain(..).flat_map(u16::to_be_bytes).collect();
    out.push('&');
    for chunk in octets.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out.push('-');
}

/// `name` decoded from modified UTF-7; None when it is not valid modified UTF-7 (a name
/// stored as UTF-8 by a client that sent it so is then shown as it is). Only the one spelling
/// [`encode`] gives is valid: no null shifts (`-&` between two runs), no surplus base64.
pub fn decode(name: &str) -> Option<String> {
    // Only printable ASCII spells a name; anything else is encoded.
    if !name.bytes().all(|b| (b' '..=b'~').contains(&b)) {
        return None;
    }
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    let mut after_run = false;
    while let Some(at) = rest.find('&') {
        if after_run && at == 0 && !rest[1..].starts_with('-') {
            return None;
        }
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let end = after.find('-')?;
        let encoded = &after[..end];
        rest = &after[end + 1..];
        if encoded.is_empty() {
            out.push('&');
            after_run = false;
            continue;
        }
        after_run = true;
        let mut bits = 0u32;
        let mut count = 0;
        let mut octets = Vec::with_capacity(encoded.len());
        for b in encoded.bytes() {
            let value = ALPHABET.iter().position(|&a| a == b)? as u32;
            bits = bits << 6 | value;
            count += 6;
            if count >= 8 {
                count -= 8;
                octets.push((bits >> count) as u8);
                bits &= (1 << count) - 1;
            }
        }
        if bits != 0 || count >= 6 || octets.len() % 2 != 0 {
            return None;
        }
        let units: Vec<u16> = octets.chunks(2).map(|p| u16::from_be_bytes([p[0], p[1]])).collect();
        let text = String::from_utf16(&units).ok()?;
        // Printable ASCII must not be encoded (RFC 3501 5.1.3): such a name is not one.
        if text.chars().any(is_direct) {
            return None;
        }
        out.push_str(&text);
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_3501_example() {
        let utf8 = "~peter/mail/\u{53f0}\u{5317}/\u{65e5}\u{672c}\u{8a9e}";
        assert_eq!(encode(utf8), "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
        assert_eq!(decode("~peter/mail/&U,BTFw-/&ZeVnLIqe-").as_deref(), Some(utf8));
    }

    #[test]
    fn ampersands_ascii_and_astral_characters() {
        for name in ["INBOX", "Tom & Jerry", "Gr\u{fc}n", "caf\u{e9} & \u{1f600}", "&", "\u{e9}\u{e8}\u{ea}x"] {
            let encoded = encode(name);
            assert!(encoded.is_ascii(), "{encoded}");
            assert_eq!(decode(&encoded).as_deref(), Some(name), "{encoded}");
        }
        assert_eq!(encode("Tom & Jerry"), "Tom &- Jerry");
        assert_eq!(encode("Gr\u{fc}n"), "Gr&APw-n");
    }

    #[test]
    fn what_is_not_modified_utf_7() {
        for bad in ["&", "a&b", "&AGE-", "&APw", "&A!w-", "&AP-", "Gr\u{fc}n", "&AOk-&AOg-", "&AOkA6AAAA-", "a\tb"] {
            assert_eq!(decode(bad), None, "{bad}");
        }
    }
}
