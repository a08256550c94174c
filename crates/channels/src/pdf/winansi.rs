//! Unicode to WinAnsiEncoding (Windows-1252), the only encoding the standard fonts print without
//! embedding a font. Names and addresses in western European languages survive; anything else
//! becomes [`REPLACEMENT`] rather than failing the letter.

use std::iter::Peekable;

/// Printed in place of a character WinAnsi cannot show.
pub(crate) const REPLACEMENT: u8 = b'?';

/// The horizontal ellipsis in WinAnsi, used when a line is cut short.
pub(crate) const ELLIPSIS: u8 = 0x85;

/// Encodes `text`, composing decomposed accents (as some systems store names) and dropping
/// invisible formatting characters, which would otherwise print as stray `?`.
pub(crate) fn encode(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let c = compose_next(c, &mut chars);
        if !is_invisible(c) {
            out.push(encode_char(c));
        }
    }
    out
}

fn encode_char(c: char) -> u8 {
    match u32::from(c) {
        0x20..=0x7E | 0xA0..=0xFF => c as u8,
        _ => outside_latin1(c).unwrap_or(REPLACEMENT),
    }
}

/// Windows-1252's 0x80..=0x9F block, plus look-alikes that would otherwise be lost.
fn outside_latin1(c: char) -> Option<u8> {
    let code = match c {
        '\t' => b' ',
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8A,
        '‹' => 0x8B,
        'Œ' => 0x8C,
        'Ž' => 0x8E,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9A,
        '›' => 0x9B,
        'œ' => 0x9C,
        'ž' => 0x9E,
        'Ÿ' => 0x9F,
        '\u{2000}'..='\u{200A}' => b' ',
        '\u{202F}' => 0xA0,
        '\u{2010}' | '\u{2011}' | '\u{2212}' => b'-',
        _ => return None,
    };
    Some(code)
}

/// Soft hyphens, zero-width spaces and joiners, and byte order marks.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{AD}' | '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}')
}

/// Folds a base letter and a following combining accent into one precomposed letter when
/// WinAnsi has it, so "e\u{301}" prints as "é" rather than "e?".
fn compose_next(base: char, rest: &mut Peekable<impl Iterator<Item = char>>) -> char {
    let Some(&mark) = rest.peek() else { return base };
    match compose(base, mark) {
        Some(composed) => {
            rest.next();
            composed
        }
        None => base,
    }
}

fn compose(base: char, mark: char) -> Option<char> {
    // Pairs of (base, composed) for each combining mark WinAnsi has letters for.
    let pairs = match mark {
        '\u{300}' => "AÀEÈIÌOÒUÙaàeèiìoòuù",
        '\u{301}' => "AÁEÉIÍOÓUÚYÝaáeéiíoóuúyý",
        '\u{302}' => "AÂEÊIÎOÔUÛaâeêiîoôuû",
        '\u{303}' => "AÃNÑOÕaãnñoõ",
        '\u{308}' => "AÄEËIÏOÖUÜYŸaäeëiïoöuüyÿ",
        '\u{30A}' => "AÅaå",
        '\u{30C}' => "SŠZŽsšzž",
        '\u{327}' => "CÇcç",
        _ => return None,
    };
    let chars: Vec<char> = pairs.chars().collect();
    chars.chunks(2).find(|pair| pair[0] == base).map(|pair| pair[1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin1_and_windows_1252_letters_map_to_their_codes() {
        assert_eq!(encode("Zoë Muñoz €5"), b"Zo\xEB Mu\xF1oz \x805");
        assert_eq!(encode("O’Brien — “paid”"), b"O\x92Brien \x97 \x93paid\x94");
        assert_eq!(encode("Šťastný"), b"\x8A?astn\xFD");
    }

    #[test]
    fn unmappable_characters_become_question_marks() {
        assert_eq!(encode("Łódź"), b"?\xF3d?");
        assert_eq!(encode("日本 🙂"), b"?? ?");
        assert_eq!(encode("a\u{7}b\u{81}c"), b"a?b?c");
    }

    #[test]
    fn decomposed_accents_are_composed() {
        assert_eq!(encode("Zoe\u{308} Jose\u{301}"), b"Zo\xEB Jos\xE9");
        // No precomposed letter in WinAnsi: the base stays and the mark is unmappable.
        assert_eq!(encode("o\u{30B}"), b"o?");
    }

    #[test]
    fn invisible_characters_are_dropped_and_odd_spaces_normalised() {
        assert_eq!(encode("\u{FEFF}co\u{AD}op\u{200B}"), b"coop");
        assert_eq!(encode("1\u{2009}000\tEUR"), b"1 000 EUR");
        assert_eq!(encode("\u{2212}5"), b"-5");
    }
}
