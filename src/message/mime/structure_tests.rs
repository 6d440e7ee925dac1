use super::*;

fn text<'a>(m: &'a [u8], r: &Range<usize>) -> &'a str {
    std::str::from_utf8(&m[r.clone()]).unwrap()
}

fn kind(p: &Part) -> String {
    format!("{}/{}", p.media_type, p.subtype)
}

#[test]
fn reads_a_simple_message() {
    let m = b"Subject: hi\r\n\r\nline 1\r\nline 2\r\n";
    let p = parse(m);
    assert_eq!((p.header.clone(), p.body.clone()), (0..15, 15..m.len()));
    assert_eq!(
        (kind(&p), p.param("CHARSET"), p.lines, p.encoding.as_str()),
        ("text/plain".into(), Some("US-ASCII"), 2, "7bit")
    );
    assert!(p.children.is_empty() && p.message.is_none());
    let p = parse(b"Subject: no body");
    assert_eq!((p.header, p.body), (0..16, 16..16));
    assert_eq!(parse(b"").body, 0..0);
}

#[test]
fn splits_multiparts_at_boundary_lines() {
    let m = b"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\npreamble\r\n--b\r\n\r\none\r\n--b \t\r\n\
              Content-Type: text/html\r\n\r\n<p>two</p>\r\n\r\n--b--\r\nepilogue\r\n--b\r\nignored\r\n";
    let p = parse(m);
    assert_eq!(p.children.len(), 2);
    let (one, two) = (&p.children[0], &p.children[1]);
    assert_eq!((text(m, &one.header), text(m, &one.body), one.lines), ("\r\n", "one", 0));
    assert_eq!((text(m, &two.header), text(m, &two.body)), ("Content-Type: text/html\r\n\r\n", "<p>two</p>\r\n"));
    assert_eq!((kind(two), two.param("charset"), two.lines), ("text/html".into(), Some("US-ASCII"), 1));
}

#[test]
fn handles_bare_lf_and_missing_closing_boundary() {
    let m =
        b"Content-Type: multipart/alternative; boundary=x\n\n--x\nContent-Type: text/plain\n\na\n--x\n\nb\nno end\n";
    let p = parse(m);
    assert_eq!(p.children.len(), 2);
    assert_eq!(text(m, &p.children[0].body), "a");
    assert_eq!(text(m, &p.children[1].body), "b\nno end\n");
}

#[test]
fn finds_boundaries_at_line_starts_preferring_exact_matches() {
    // RFC 2046 5.1.1: the boundary need only begin the line.
    let m = b"Content-Type: multipart/mixed; boundary=abc\r\n\r\n--abc\r\n\r\nx --abc\r\n--abcdef\r\n\r\ny\r\n--abc--junk\r\n--abc\r\n";
    let p = parse(m);
    assert_eq!(p.children.iter().map(|c| text(m, &c.body)).collect::<Vec<_>>(), ["x --abc", "y"]);
    assert_eq!(p.body.end, m.len());
}

#[test]
fn lets_nested_multiparts_reuse_a_boundary_and_miss_their_end() {
    let m = b"Content-Type: multipart/mixed; boundary=s\r\n\r\n--s\r\nContent-Type: multipart/alternative; boundary=s\r\n\r\n\
              --s\r\n\r\ni1\r\n--s\r\n\r\ni2\r\n--s--\r\n--s\r\n\r\no2\r\n--s--\r\n";
    let p = parse(m);
    assert_eq!(p.children.len(), 2);
    assert_eq!(p.children[0].children.iter().map(|c| text(m, &c.body)).collect::<Vec<_>>(), ["i1", "i2"]);
    assert_eq!(text(m, &p.children[1].body), "o2");
    let m = b"Content-Type: multipart/mixed; boundary=1\n\n--1\nContent-Type: multipart/mixed; boundary=2\n\n\
              --2\n\na\n--2\n\nb\n--1\n\nc\n";
    let p = parse(m);
    assert_eq!(p.children.len(), 2);
    assert_eq!(p.children[0].children.iter().map(|c| text(m, &c.body)).collect::<Vec<_>>(), ["a", "b"]);
    assert_eq!(text(m, &p.children[1].body), "c\n");
}

#[test]
fn ends_headers_at_delimiter_lines() {
    let m = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n\
              Subject: cut short\r\n--b\r\n\r\nnext\r\n--b--";
    let p = parse(m);
    let inner = p.children[0].message.as_deref().unwrap();
    assert_eq!((text(m, &inner.header), text(m, &inner.body)), ("Subject: cut short", ""));
    assert_eq!(text(m, &p.children[1].body), "next");
    let p = parse(b"Content-Type: message/rfc822\r\n\r\n");
    assert_eq!(p.message.map(|m| m.body), Some(32..32));
}

#[test]
fn keeps_nested_boundaries_apart() {
    for (outer, inner) in [("abc", "abcdef"), ("abcdef", "abc")] {
        let m = format!(
            "Content-Type: multipart/mixed; boundary={outer}\r\n\r\n--{outer}\r\n\
             Content-Type: multipart/alternative; boundary={inner}\r\n\r\n--{inner}\r\n\r\ni1\r\n--{inner}\r\n\r\ni2\r\n\
             --{inner}--\r\n--{outer}\r\n\r\no2\r\n--{outer}--\r\n"
        );
        let m = m.as_bytes();
        let p = parse(m);
        assert_eq!(p.children.len(), 2, "{outer}/{inner}");
        let alt = &p.children[0];
        assert_eq!(alt.children.iter().map(|c| text(m, &c.body)).collect::<Vec<_>>(), ["i1", "i2"]);
        assert_eq!(text(m, &p.children[1].body), "o2");
    }
}

#[test]
fn always_gives_multiparts_a_child() {
    let m = b"Content-Type: multipart/mixed; boundary=zz\r\n\r\nno boundary here\r\n";
    let p = parse(m);
    assert_eq!(p.children.len(), 1);
    let c = &p.children[0];
    assert_eq!((c.header.clone(), c.body.clone(), kind(c)), (m.len()..m.len(), m.len()..m.len(), "text/plain".into()));
    let p = parse(b"Content-Type: multipart/mixed\r\n\r\n--b\r\n\r\nx\r\n");
    assert_eq!((kind(&p), p.children.len(), p.param("charset")), ("text/plain".into(), 0, Some("US-ASCII")));
}

#[test]
fn parses_encapsulated_messages_and_digests() {
    let m = b"Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\nSubject: one\r\n\r\nbody one\r\n\
              --d\r\nContent-Type: text/plain\r\n\r\nnot a message\r\n--d--\r\n";
    let p = parse(m);
    let first = &p.children[0];
    assert_eq!((kind(first), first.lines), ("message/rfc822".into(), 2));
    let inner = first.message.as_deref().unwrap();
    assert_eq!(
        (text(m, &inner.header), text(m, &inner.body), kind(inner)),
        ("Subject: one\r\n\r\n", "body one", "text/plain".into())
    );
    assert_eq!(kind(&p.children[1]), "text/plain");
    let m = b"Content-Type: message/global\r\n\r\nContent-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n\r\nx\r\n--q--\r\n";
    assert_eq!(parse(m).message.unwrap().children.len(), 1);
    let m = b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\nU3ViamVjdDogeA==\r\n";
    let p = parse(m);
    assert_eq!((kind(&p), p.message.is_none(), p.lines), ("application/octet-stream".into(), true, 0));
}

#[test]
fn bounds_nesting_depth() {
    let mut m = String::new();
    for i in 0..40 {
        m.push_str(&format!("Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n"));
    }
    m.push_str("\r\nleaf\r\n");
    let p = parse(m.as_bytes());
    let mut depth = 0;
    let mut cur = &p;
    while let Some(child) = cur.children.first() {
        cur = child;
        depth += 1;
    }
    assert_eq!(depth, MAX_DEPTH);
    assert_eq!(kind(cur), "application/octet-stream");
    let mut m = String::new();
    for _ in 0..100 {
        m.push_str("Content-Type: message/rfc822\r\n\r\n");
    }
    let mut cur = parse(m.as_bytes());
    let mut depth = 0;
    while let Some(inner) = cur.message {
        cur = *inner;
        depth += 1;
    }
    assert_eq!((depth, kind(&cur)), (MAX_DEPTH, "application/octet-stream".into()));
}

#[test]
fn bounds_the_part_count() {
    let mut m = String::from("Content-Type: multipart/mixed; boundary=p\r\n\r\n");
    for _ in 0..MAX_PARTS + 500 {
        m.push_str("--p\r\nContent-Type: message/rfc822\r\n\r\nSubject: s\r\n\r\nx\r\n");
    }
    let p = parse(m.as_bytes());
    fn count(p: &Part) -> usize {
        1 + p.children.iter().map(count).sum::<usize>() + p.message.as_deref().map_or(0, count)
    }
    assert!(count(&p) <= MAX_PARTS + 1, "{}", count(&p));
    assert_eq!(p.body.end, m.len());
}
