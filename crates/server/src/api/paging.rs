//! Cursor pagination and query-string checking shared by every list route: a page is `limit`
//! items after (or before) a cursor id, and every parameter the route does not know is an error
//! rather than silently ignored.

use super::problem::{FieldError, Problem};
use uuid::Uuid;

pub const DEFAULT_LIMIT: u32 = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub cursor: Option<Uuid>,
    pub limit: u32,
}

impl Page {
    /// Parses the cursor (for lists that page by id) and `limit`; any other parameter is refused.
    pub fn parse(query: Option<&str>, cursor_name: Option<&str>, max: u32) -> Result<Page, Problem> {
        Page::parse_with(query, cursor_name, max, |_, _, _| false)
    }

    /// Like `parse`, offering every other parameter to `other(name, value, errors)`, which says
    /// whether it knew the name (and pushes its own complaints).
    pub fn parse_with(
        query: Option<&str>,
        cursor_name: Option<&str>,
        max: u32,
        mut other: impl FnMut(&str, &str, &mut Vec<FieldError>) -> bool,
    ) -> Result<Page, Problem> {
        let mut page = Page { cursor: None, limit: DEFAULT_LIMIT.min(max) };
        let mut errors = Vec::new();
        for pair in query.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = decode(value);
            if Some(name) == cursor_name {
                match Uuid::parse_str(&value) {
                    Ok(u) => page.cursor = Some(u),
                    Err(_) => {
                        errors.push(FieldError { pointer: format!("/{name}"), detail: "must be the `next` of a previous page".into() })
                    }
                }
            } else if name == "limit" {
                match value.parse::<u32>() {
                    Ok(n) if (1..=max).contains(&n) => page.limit = n,
                    _ => errors.push(FieldError { pointer: "/limit".into(), detail: format!("must be a whole number from 1 to {max}") }),
                }
            } else if !other(name, &value, &mut errors) {
                errors.push(FieldError { pointer: format!("/{name}"), detail: "unknown query parameter".into() });
            }
        }
        if errors.is_empty() { Ok(page) } else { Err(Problem::invalid("the query parameters are not valid", errors)) }
    }

    /// The cursor of the next page: the last item's id when this page is full.
    pub fn next<T>(&self, items: &[T], id: impl Fn(&T) -> Uuid) -> Option<Uuid> {
        (items.len() == self.limit as usize).then(|| items.last().map(id)).flatten()
    }
}

/// Percent-decoding of a query value (`+` is a space, as forms send it).
pub fn decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16) {
                Ok(b) => {
                    out.push(b);
                    i += 2;
                }
                Err(_) => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_and_unknown_parameters() {
        assert_eq!(Page::parse(None, Some("after"), 500).unwrap(), Page { cursor: None, limit: 50 });
        let p = Page::parse(Some("limit=10&after=01a206b8-fcef-710e-91c9-5649049f4f53"), Some("after"), 500).unwrap();
        assert_eq!((p.limit, p.cursor.is_some()), (10, true));
        let bad = Page::parse(Some("limit=0&after=x&sort=name"), Some("after"), 500).unwrap_err();
        let pointers: Vec<&str> = bad.errors.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(pointers, ["/limit", "/after", "/sort"]);
        assert!(Page::parse(Some("limit=501"), Some("after"), 500).is_err());
        assert!(Page::parse(Some("limit=500"), Some("after"), 500).is_ok());
        assert!(Page::parse(Some("after=01a206b8-fcef-710e-91c9-5649049f4f53"), Some("before"), 500).is_err());
    }

    #[test]
    fn next_only_on_a_full_page() {
        let p = Page { cursor: None, limit: 2 };
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        assert_eq!(p.next(&[a, b], |u| *u), Some(b));
        assert_eq!(p.next(&[a], |u| *u), None);
    }

    #[test]
    fn decoding() {
        assert_eq!(decode("a+b%20c%2Fd"), "a b c/d");
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%zz"), "%zz");
        assert_eq!(decode("user%3Aabc"), "user:abc");
    }
}
