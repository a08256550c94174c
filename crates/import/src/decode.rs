//! Bytes to text. Client files come as UTF-8 (often with a byte-order mark from Excel) or as
//! Windows-1252 from older systems, sometimes both in one file after a merge; decoding field by
//! field keeps a stray accented byte from spoiling the whole file and keeps memory flat.

use crate::error::ImportError;
use std::borrow::Cow;
use std::io::{Cursor, Read};

/// How the bytes of a file are read as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    /// Valid UTF-8 stays UTF-8; anything else is read as Windows-1252, field by field.
    #[default]
    Auto,
    Utf8,
    Windows1252,
}

impl Encoding {
    pub fn parse(name: &str) -> Option<Encoding> {
        match name.trim().to_ascii_lowercase().as_str() {
            "auto" => Some(Encoding::Auto),
            "utf-8" | "utf8" => Some(Encoding::Utf8),
            // WHATWG reads every Latin-1 label as Windows-1252, which is what such files really hold.
            "windows-1252" | "cp1252" | "latin1" | "latin-1" | "iso-8859-1" => Some(Encoding::Windows1252),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Auto => "auto",
            Encoding::Utf8 => "utf-8",
            Encoding::Windows1252 => "windows-1252",
        }
    }
}

pub(crate) const BOM: &[u8] = b"\xEF\xBB\xBF";

/// How much of the start of a file is looked at to tell text from binary.
const SNIFF_BYTES: usize = 8 * 1024;

/// The input with its first bytes read ahead and put back in front.
pub(crate) type Prefixed<R> = std::io::Chain<Cursor<Vec<u8>>, R>;

/// Reads the start of the input to refuse empty, binary and UTF-16 files before any row is
/// reported, then hands back a reader that still yields every byte.
pub(crate) fn sniff<R: Read>(mut input: R) -> Result<Prefixed<R>, ImportError> {
    let mut head = vec![0u8; SNIFF_BYTES];
    let mut filled = 0;
    while filled < head.len() {
        match input.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    head.truncate(filled);
    let at_eof = filled < SNIFF_BYTES;
    check_head(&head, at_eof)?;
    Ok(Cursor::new(head).chain(input))
}

fn check_head(head: &[u8], at_eof: bool) -> Result<(), ImportError> {
    if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") {
        return Err(ImportError::Utf16);
    }
    let body = head.strip_prefix(BOM).unwrap_or(head);
    if at_eof && body.iter().all(u8::is_ascii_whitespace) {
        return Err(ImportError::Empty);
    }
    if body.contains(&0) {
        return Err(ImportError::Binary);
    }
    // Text has next to no control characters besides tab, CR, LF and form feed; binary data
    // without NULs (compressed, encrypted) has about one byte in eight.
    let controls = body.iter().filter(|&&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C)) || b == 0x7F).count();
    if controls * 20 > body.len() {
        return Err(ImportError::Binary);
    }
    Ok(())
}

/// Hands the CSV parser LF line ends only, with one after the last line. The parser counts
/// lines by LF and takes a record's position before skipping a CRLF's LF or blank lines, so
/// with CRLF files its line numbers drift; with every line ending in LF, a record's first line
/// is simply the count after it, less the line breaks inside it. A quoted CRLF inside a value
/// becomes LF too, which is how the value is stored anyway.
pub(crate) struct LineEnds<R> {
    inner: R,
    output: Vec<u8>,
    /// How much of `output` has been handed out.
    taken: usize,
    /// The last input byte was a CR: the next decides whether it was a CRLF or a lone CR.
    pending_cr: bool,
    last: Option<u8>,
    finished: bool,
}

const CHUNK: usize = 64 * 1024;

impl<R: Read> LineEnds<R> {
    pub fn new(inner: R) -> Self {
        LineEnds { inner, output: Vec::with_capacity(CHUNK + 1), taken: 0, pending_cr: false, last: None, finished: false }
    }

    /// Reads the next chunk and rewrites its line ends in place; only ever shortens it, apart
    /// from the LF a CR at the end of the previous chunk stands for.
    fn refill(&mut self) -> std::io::Result<()> {
        let out = &mut self.output;
        out.clear();
        self.taken = 0;
        let start = usize::from(std::mem::take(&mut self.pending_cr));
        if start == 1 {
            out.push(b'\n');
        }
        out.resize(start + CHUNK, 0);
        let n = loop {
            match self.inner.read(&mut out[start..]) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                other => break other?,
            }
        };
        out.truncate(start + n);
        // The LF of a CRLF split between two chunks was already given as the CR's LF.
        let from = if start == 1 && out.get(1) == Some(&b'\n') { 2 } else { start };
        if from != start || out[from..].contains(&b'\r') {
            let mut w = start;
            for r in from..out.len() {
                let b = out[r];
                if b == b'\r' {
                    match out.get(r + 1) {
                        Some(b'\n') => continue,
                        Some(_) => out[w] = b'\n',
                        None => {
                            self.pending_cr = true;
                            continue;
                        }
                    }
                } else {
                    out[w] = b;
                }
                w += 1;
            }
            out.truncate(w);
        }
        if n == 0 {
            self.finished = true;
            if out.last().or(self.last.as_ref()).is_some_and(|&b| b != b'\n') {
                out.push(b'\n');
            }
        }
        if let Some(&b) = out.last() {
            self.last = Some(b);
        }
        Ok(())
    }
}

impl<R: Read> Read for LineEnds<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.taken == self.output.len() {
            if self.finished {
                return Ok(0);
            }
            self.refill()?;
        }
        let n = out.len().min(self.output.len() - self.taken);
        out[..n].copy_from_slice(&self.output[self.taken..self.taken + n]);
        self.taken += n;
        Ok(n)
    }
}

/// Decodes one field (or one JSON line). `Err` says why the bytes are not text in the encoding
/// the mapping insists on.
pub(crate) fn decode(bytes: &[u8], encoding: Encoding) -> Result<Cow<'_, str>, String> {
    match encoding {
        Encoding::Auto => match std::str::from_utf8(bytes) {
            Ok(s) => Ok(Cow::Borrowed(s)),
            Err(_) => Ok(encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0),
        },
        Encoding::Utf8 => std::str::from_utf8(bytes).map(Cow::Borrowed).map_err(|_| {
            "is not valid UTF-8 (set encoding = \"windows-1252\" or \"auto\" in the mapping file if the file comes from Excel or an older system)"
                .to_string()
        }),
        Encoding::Windows1252 => Ok(encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_keeps_utf8_and_falls_back_to_windows_1252() {
        assert_eq!(decode("Zoë".as_bytes(), Encoding::Auto).unwrap(), "Zoë");
        assert_eq!(decode(b"Mu\xF1oz", Encoding::Auto).unwrap(), "Muñoz");
        assert_eq!(decode(b"Mu\xF1oz", Encoding::Windows1252).unwrap(), "Muñoz");
        assert!(decode(b"Mu\xF1oz", Encoding::Utf8).is_err());
        assert_eq!(Encoding::parse(" CP1252 "), Some(Encoding::Windows1252));
        assert_eq!(Encoding::parse("ebcdic"), None);
    }

    #[test]
    fn sniffing_refuses_empty_binary_and_utf16_and_keeps_every_byte() {
        assert!(matches!(sniff(&b""[..]), Err(ImportError::Empty)));
        assert!(matches!(sniff(&b"\xEF\xBB\xBF\r\n  \n"[..]), Err(ImportError::Empty)));
        assert!(matches!(sniff(&b"PK\x03\x04\x00\x00"[..]), Err(ImportError::Binary)));
        let noise: Vec<u8> = (0..4000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8 | 1).collect();
        assert!(matches!(sniff(&noise[..]), Err(ImportError::Binary)));
        assert!(matches!(sniff(&b"\xFF\xFEa\x00"[..]), Err(ImportError::Utf16)));
        let text: Vec<u8> = b"a,b\n".iter().copied().cycle().take(20_000).collect();
        let mut back = Vec::new();
        sniff(&text[..]).unwrap().read_to_end(&mut back).unwrap();
        assert_eq!(back, text);
    }

    #[test]
    fn line_ends_become_lf_with_one_at_the_end() {
        for (input, want) in [
            (&b"a\r\nb\r\n"[..], &b"a\nb\n"[..]),
            (b"a\rb\r", b"a\nb\n"),
            (b"a\nb", b"a\nb\n"),
            (b"", b""),
            (b"\"x\r\ny\"\r", b"\"x\ny\"\n"),
        ] {
            // One byte at a time in and out, so a CR and its LF arrive in different reads.
            struct Trickle<'a>(&'a [u8]);
            impl Read for Trickle<'_> {
                fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
                    let n = self.0.len().min(1).min(out.len());
                    out[..n].copy_from_slice(&self.0[..n]);
                    self.0 = &self.0[n..];
                    Ok(n)
                }
            }
            let mut r = LineEnds::new(Trickle(input));
            let mut got = Vec::new();
            let mut byte = [0u8; 1];
            loop {
                let n = r.read(&mut byte).unwrap();
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&byte[..n]);
            }
            assert_eq!(got, want, "{:?}", String::from_utf8_lossy(input));
        }
    }
}
