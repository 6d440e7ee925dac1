use super::*;
use message::mime::parse;

/// The example of RFC 3501 6.4.5, each leaf holding its own part number as text.
const RFC_EXAMPLE: &str = "Subject: top\r\nContent-Type: MULTIPART/MIXED; boundary=o\r\n\r\n\
--o\r\nContent-Type: TEXT/PLAIN\r\n\r\n1\r\n\
--o\r\nContent-Type: APPLICATION/OCTET-STREAM\r\nContent-Transfer-Encoding: base64\r\n\r\nMg==\r\n\
--o\r\nContent-Type: MESSAGE/RFC822\r\n\r\nSubject: three\r\nContent-Type: MULTIPART/MIXED; boundary=t\r\n\r\n\
--t\r\n\r\n3.1\r\n--t\r\nContent-Type: APPLICATION/OCTET-STREAM\r\n\r\n3.2\r\n--t--\r\n\
--o\r\nContent-Type: MULTIPART/MIXED; boundary=f\r\n\r\n\
--f\r\nContent-Type: IMAGE/GIF\r\n\r\n4.1\r\n\
--f\r\nContent-Type: MESSAGE/RFC822\r\n\r\nSubject: four-two\r\nContent-Type: MULTIPART/MIXED; boundary=g\r\n\r\n\
--g\r\n\r\n4.2.1\r\n--g\r\nContent-Type: MULTIPART/ALTERNATIVE; boundary=h\r\n\r\n\
--h\r\n\r\n4.2.2.1\r\n--h\r\nContent-Type: TEXT/RICHTEXT\r\n\r\n4.2.2.2\r\n--h--\r\n--g--\r\n--f--\r\n--o--\r\n";

fn get(m: &str, part: &[u32], text: Option<SectionText>) -> Option<String> {
    let root = parse(m.as_bytes());
    section(m.as_bytes(), &root, &Section { part: part.to_vec(), text })
        .map(|b| String::from_utf8(b.into_owned()).unwrap())
}

fn fields(not: bool, names: &[&str]) -> Option<SectionText> {
    Some(SectionText::HeaderFields { not, fields: names.iter().map(|s| s.to_string()).collect() })
}

#[test]
fn addresses_the_rfc_3501_example() {
    let m = RFC_EXAMPLE;
    for (part, body) in [(&[1][..], "1"), (&[2], "Mg=="), (&[3, 1], "3.1"), (&[3, 2], "3.2"), (&[4, 1], "4.1")] {
        assert_eq!(get(m, part, None).as_deref(), Some(body), "{part:?}");
    }
    for (part, body) in [(&[4, 2, 1][..], "4.2.1"), (&[4, 2, 2, 1], "4.2.2.1"), (&[4, 2, 2, 2], "4.2.2.2")] {
        assert_eq!(get(m, part, None).as_deref(), Some(body), "{part:?}");
    }
    assert_eq!(
        get(m, &[], Some(SectionText::Header)).unwrap(),
        "Subject: top\r\nContent-Type: MULTIPART/MIXED; boundary=o\r\n\r\n"
    );
    assert!(get(m, &[], Some(SectionText::Text)).unwrap().starts_with("--o\r\n"));
    assert_eq!(get(m, &[], None).unwrap(), m);
    assert_eq!(get(m, &[3, 1], Some(SectionText::Mime)).unwrap(), "\r\n");
    assert!(get(m, &[3], Some(SectionText::Header)).unwrap().starts_with("Subject: three\r\n"));
    assert!(get(m, &[3], Some(SectionText::Text)).unwrap().starts_with("--t\r\n\r\n3.1"));
    assert!(get(m, &[3], None).unwrap().starts_with("Subject: three\r\n"));
    assert_eq!(get(m, &[3], Some(SectionText::Mime)).unwrap(), "Content-Type: MESSAGE/RFC822\r\n\r\n");
    assert_eq!(get(m, &[4, 1], Some(SectionText::Mime)).unwrap(), "Content-Type: IMAGE/GIF\r\n\r\n");
    assert!(get(m, &[4, 2], Some(SectionText::Header)).unwrap().starts_with("Subject: four-two\r\n"));
    assert!(get(m, &[4, 2], Some(SectionText::Text)).unwrap().ends_with("--g--"));
}

#[test]
fn rejects_sections_that_name_no_part() {
    let m = RFC_EXAMPLE;
    for part in [&[0][..], &[5], &[1, 1], &[2, 1], &[4, 3], &[3, 3], &[4, 2, 2, 3], &[u32::MAX]] {
        assert_eq!(get(m, part, None), None, "{part:?}");
    }
    assert_eq!(get(m, &[], Some(SectionText::Mime)), None);
    assert_eq!(get(m, &[1], Some(SectionText::Header)), None);
    assert_eq!(get(m, &[4], Some(SectionText::Text)), None);
}

#[test]
fn numbers_a_single_part_message_as_1() {
    let m = "Subject: s\r\n\r\nbody";
    assert_eq!(get(m, &[1], None).as_deref(), Some("body"));
    assert_eq!(get(m, &[1], Some(SectionText::Mime)).as_deref(), Some("Subject: s\r\n\r\n"));
    assert_eq!(get(m, &[1, 1], None), None);
    assert_eq!(get(m, &[2], None), None);
    let m = "Content-Type: message/rfc822\r\n\r\nSubject: in\r\n\r\ninner";
    assert_eq!(get(m, &[1], None).as_deref(), Some("Subject: in\r\n\r\ninner"));
    assert_eq!(get(m, &[1, 1], None).as_deref(), Some("inner"));
    assert_eq!(get(m, &[1], Some(SectionText::Header)).as_deref(), Some("Subject: in\r\n\r\n"));
}

#[test]
fn picks_header_fields() {
    let m = "From: a@b\r\nSubject: one\r\n two\r\nTo: c@d\r\nsubject: again\r\n\r\nbody";
    assert_eq!(
        get(m, &[], fields(false, &["SUBJECT", "x-none"])).unwrap(),
        "Subject: one\r\n two\r\nsubject: again\r\n\r\n"
    );
    assert_eq!(get(m, &[], fields(true, &["subject"])).unwrap(), "From: a@b\r\nTo: c@d\r\n\r\n");
    assert_eq!(get(m, &[], fields(false, &["x-none"])).unwrap(), "\r\n");
    assert_eq!(get("To: x", &[], fields(false, &["to"])).unwrap(), "To: x\r\n\r\n");
    assert_eq!(get(RFC_EXAMPLE, &[4, 2], fields(false, &["subject"])).unwrap(), "Subject: four-two\r\n\r\n");
    assert_eq!(get("To: x\n\nb", &[], fields(false, &["to"])).unwrap(), "To: x\n\r\n");
}

#[test]
fn undoes_transfer_encodings_for_binary() {
    let m = "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Transfer-Encoding: base64\r\n\r\naGk=\r\n\
             --b\r\nContent-Transfer-Encoding: Quoted-Printable\r\n\r\na=3Db\r\n--b\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\n\
             begin\r\n--b\r\n\r\nplain\r\n--b--\r\n";
    let root = parse(m.as_bytes());
    let bin =
        |part: &[u32]| binary(m.as_bytes(), &root, part).map(|o| o.map(|b| String::from_utf8(b.into_owned()).unwrap()));
    assert_eq!(bin(&[1]), Ok(Some("hi".into())));
    assert_eq!(bin(&[2]), Ok(Some("a=b".into())));
    assert_eq!(bin(&[3]), Err(UnknownEncoding));
    assert_eq!(bin(&[4]), Ok(Some("plain".into())));
    assert_eq!(bin(&[5]), Ok(None));
    assert_eq!(bin(&[0]), Ok(None));
    assert_eq!(bin(&[]), Ok(Some(m.into())));
    assert_eq!(UnknownEncoding.to_string(), "unknown Content-Transfer-Encoding");
}
