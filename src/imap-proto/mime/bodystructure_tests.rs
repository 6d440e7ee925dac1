use super::*;
use message::mime::parse;

fn body(message: &[u8], extensible: bool) -> String {
    let mut out = BytesMut::new();
    write_body_structure(&mut out, message, &parse(message), extensible);
    String::from_utf8(out.to_vec()).unwrap()
}

/// `lines` CRLF-terminated lines of filler adding up to exactly `size` octets.
fn filler(size: usize, lines: usize) -> String {
    let per_line = size / lines;
    let mut s: String = (0..lines - 1).map(|_| format!("{}\r\n", "x".repeat(per_line - 2))).collect();
    s.push_str(&format!("{}\r\n", "y".repeat(size - s.len() - 2)));
    s
}

#[test]
fn writes_the_rfc_3501_simple_example() {
    let m = format!("Subject: x\r\n\r\n{}", filler(3028, 92));
    assert_eq!(body(m.as_bytes(), false), r#"("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92)"#);
    assert_eq!(
        body(m.as_bytes(), true),
        r#"("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92 NIL NIL NIL NIL)"#
    );
}

#[test]
fn writes_the_rfc_3501_multipart_example() {
    let m = format!(
        "Content-Type: multipart/mixed; boundary=\"=_b\"\r\n\r\n--=_b\r\n\r\n{}\r\n--=_b\r\n\
         Content-Type: TEXT/PLAIN; CHARSET=US-ASCII; NAME=cc.diff\r\n\
         Content-ID: <960723163407.20117h@cac.washington.edu>\r\nContent-Description: Compiler diff\r\n\
         Content-Transfer-Encoding: BASE64\r\n\r\n{}\r\n--=_b--\r\n",
        filler(1152, 23),
        filler(4554, 73),
    );
    assert_eq!(
        body(m.as_bytes(), false),
        "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 1152 23)(\"TEXT\" \"PLAIN\" \
         (\"CHARSET\" \"US-ASCII\" \"NAME\" \"cc.diff\") \"<960723163407.20117h@cac.washington.edu>\" \"Compiler diff\" \
         \"BASE64\" 4554 73) \"MIXED\")"
    );
    assert!(body(m.as_bytes(), true).ends_with(" NIL NIL NIL NIL) \"MIXED\" (\"BOUNDARY\" \"=_b\") NIL NIL NIL)"));
}

#[test]
fn writes_extension_data() {
    let m = b"Content-Type: image/png; name*=utf-8''%E2%98%BA.png\r\nContent-MD5: abc=\r\n\
              Content-Disposition: attachment; filename=\"=?UTF-8?B?4pi6LnBuZw==?=\"; size=3\r\n\
              Content-Language: en, de-CH\r\nContent-Location: http://x/y\r\nContent-Transfer-Encoding: base64\r\n\r\nAAAA";
    assert_eq!(
        body(m, true),
        "(\"IMAGE\" \"PNG\" (\"NAME\" {7}\r\n\u{263a}.png) NIL NIL \"BASE64\" 4 \"abc=\" \
         (\"ATTACHMENT\" (\"FILENAME\" {7}\r\n\u{263a}.png \"SIZE\" \"3\")) (\"en\" \"de-CH\") \"http://x/y\")"
    );
    let m = b"Content-Type: application/pdf\r\nContent-Disposition: inline\r\nContent-Language: fr\r\n\r\n%PDF";
    assert_eq!(body(m, true), "(\"APPLICATION\" \"PDF\" NIL NIL NIL \"7BIT\" 4 NIL (\"INLINE\" NIL) \"fr\" NIL)");
    assert_eq!(body(m, false), "(\"APPLICATION\" \"PDF\" NIL NIL NIL \"7BIT\" 4)");
}

#[test]
fn writes_encapsulated_messages() {
    let m = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n\
              Subject: inner\r\nFrom: a@b\r\n\r\nhello\r\n--b--\r\n";
    assert_eq!(
        body(m, false),
        "((\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 34 (NIL \"inner\" ((NIL NIL \"a\" \"b\")) ((NIL NIL \"a\" \"b\")) \
         ((NIL NIL \"a\" \"b\")) NIL NIL NIL NIL NIL) (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 5 0) 3) \
         \"MIXED\")"
    );
    assert!(
        body(m, true)
            .contains("\"7BIT\" 5 0 NIL NIL NIL NIL) 3 NIL NIL NIL NIL) \"MIXED\" (\"BOUNDARY\" \"b\") NIL NIL NIL)")
    );
}
