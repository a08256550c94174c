//! Greedy line breaking at spaces, on WinAnsi bytes so widths come straight from the metrics.

use super::metrics::Style;
use super::winansi::{self, ELLIPSIS};

/// Encodes `text` and breaks it into lines no wider than `max` points. `\n` forces a break;
/// a word wider than `max` on its own (an IBAN, a URL) is split between characters. Always
/// returns at least one line, so empty text still takes up a line.
pub(crate) fn wrap(text: &str, style: Style, max: f32) -> Vec<Vec<u8>> {
    text.split('\n').flat_map(|line| wrap_line(&winansi::encode(line), style, max)).collect()
}

fn wrap_line(text: &[u8], style: Style, max: f32) -> Vec<Vec<u8>> {
    let space = style.width(b" ");
    let mut lines = Vec::new();
    let mut line: Vec<u8> = Vec::new();
    let mut width = 0.0;
    for word in text.split(|&b| b == b' ').filter(|w| !w.is_empty()) {
        for piece in split_long_word(word, style, max) {
            let piece_width = style.width(piece);
            if !line.is_empty() && width + space + piece_width > max {
                lines.push(std::mem::take(&mut line));
                width = 0.0;
            }
            if !line.is_empty() {
                line.push(b' ');
                width += space;
            }
            line.extend_from_slice(piece);
            width += piece_width;
        }
    }
    lines.push(line);
    lines
}

/// Pieces of `word` that each fit in `max`, at least one character each so this always ends.
fn split_long_word(word: &[u8], style: Style, max: f32) -> Vec<&[u8]> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut width = 0.0;
    for (i, &b) in word.iter().enumerate() {
        let w = style.width(&[b]);
        if i > start && width + w > max {
            pieces.push(&word[start..i]);
            start = i;
            width = 0.0;
        }
        width += w;
    }
    pieces.push(&word[start..]);
    pieces
}

/// A piece of a wrapped mixed-style line: its style and WinAnsi bytes.
pub(crate) type Piece = (Style, Vec<u8>);

/// Breaks styled spans into lines no wider than `max`, breaking only at spaces; a break never
/// falls where two spans meet without a space, so "July 9, 2025" and the "," after it stay
/// together. Consecutive pieces of one style on a line are merged. A word wider than `max`
/// overflows rather than being split: rich text carries sentences, not IBANs.
pub(crate) fn wrap_spans(spans: &[(Style, &str)], max: f32) -> Vec<Vec<Piece>> {
    let mut lines: Vec<Vec<Piece>> = Vec::new();
    let mut line: Vec<Piece> = Vec::new();
    let mut width = 0.0;
    for unit in units(spans) {
        if unit.is_empty() {
            lines.push(std::mem::take(&mut line));
            width = 0.0;
            continue;
        }
        let unit_width: f32 = unit.iter().map(|(style, text)| style.width(text)).sum();
        let space = line.last().map_or(0.0, |(style, _): &Piece| style.width(b" "));
        if !line.is_empty() && width + space + unit_width > max {
            lines.push(std::mem::take(&mut line));
            width = 0.0;
        }
        // The space takes the style before it, so a bold phrase is not widened by it.
        if let Some(&(before, _)) = line.last() {
            push_piece(&mut line, before, b" ");
            width += space;
        }
        for (style, text) in unit {
            push_piece(&mut line, style, &text);
        }
        width += unit_width;
    }
    lines.push(line);
    lines
}

/// The unbreakable units of `spans`: maximal runs of non-space characters, each a list of
/// styled pieces because a unit may cross a span boundary. An empty unit stands for a `\n`.
fn units(spans: &[(Style, &str)]) -> Vec<Vec<Piece>> {
    let mut units: Vec<Vec<Piece>> = Vec::new();
    let mut open = false;
    for &(style, text) in spans {
        for (n, line) in text.split('\n').enumerate() {
            if n > 0 {
                units.push(Vec::new());
                open = false;
            }
            let bytes = winansi::encode(line);
            for (i, word) in bytes.split(|&b| b == b' ').enumerate() {
                // A space before this word closes the unit in progress.
                if i > 0 {
                    open = false;
                }
                if word.is_empty() {
                    continue;
                }
                match units.last_mut() {
                    Some(unit) if open => unit.push((style, word.to_vec())),
                    _ => units.push(vec![(style, word.to_vec())]),
                }
                open = true;
            }
        }
    }
    units
}

fn push_piece(line: &mut Vec<Piece>, style: Style, text: &[u8]) {
    match line.last_mut() {
        Some((last, bytes)) if *last == style => bytes.extend_from_slice(text),
        _ => line.push((style, text.to_vec())),
    }
}

/// Encodes `text` as one line, cut with an ellipsis if it is wider than `max`.
pub(crate) fn truncate(text: &str, style: Style, max: f32) -> Vec<u8> {
    let mut line = winansi::encode(text);
    if style.width(&line) <= max {
        return line;
    }
    let room = max - style.width(&[ELLIPSIS]);
    while !line.is_empty() && style.width(&line) > room {
        line.pop();
    }
    line.push(ELLIPSIS);
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::metrics::Font;

    const BODY: Style = Style { font: Font::Regular, size: 10.0 };

    #[test]
    fn long_paragraph_wraps_within_the_width_and_keeps_every_word() {
        let text = "Your payment of 125.00 was received on 3 March and applied to the balance of account 4471. ".repeat(8);
        let lines = wrap(&text, BODY, 200.0);
        assert!(lines.len() > 8, "{} lines", lines.len());
        for line in &lines {
            assert!(BODY.width(line) <= 200.0, "too wide: {}", String::from_utf8_lossy(line));
        }
        let rejoined: Vec<&[u8]> = lines.iter().flat_map(|l| l.split(|&b| b == b' ')).collect();
        let original: Vec<&[u8]> = text.as_bytes().split(|&b| b == b' ').filter(|w| !w.is_empty()).collect();
        assert_eq!(rejoined, original);
    }

    #[test]
    fn lines_are_filled_greedily() {
        // "aaaa" is 4 * 5.56 = 22.24 pt and a space 2.78 pt: two words fit in 50 pt, three do not.
        let lines = wrap("aaaa aaaa aaaa aaaa aaaa", BODY, 50.0);
        assert_eq!(lines, vec![b"aaaa aaaa".to_vec(), b"aaaa aaaa".to_vec(), b"aaaa".to_vec()]);
    }

    #[test]
    fn newlines_break_and_empty_text_is_one_empty_line() {
        assert_eq!(wrap("a\nb", BODY, 500.0), vec![b"a".to_vec(), b"b".to_vec()]);
        assert_eq!(wrap("", BODY, 500.0), vec![Vec::<u8>::new()]);
    }

    #[test]
    fn a_word_wider_than_the_line_is_split() {
        let iban = "GB82WEST12345698765432";
        let lines = wrap(iban, BODY, 40.0);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| BODY.width(l) <= 40.0));
        assert_eq!(lines.concat(), iban.as_bytes());
    }

    #[test]
    fn spans_wrap_at_spaces_and_stay_glued_where_they_meet() {
        let bold = Style { font: Font::Bold, size: 10.0 };
        let spans = [(BODY, "Call us by "), (bold, "July 9, 2025"), (BODY, ", to dispute all or part of the debt.")];
        let one = wrap_spans(&spans, 1000.0);
        assert_eq!(
            one,
            vec![vec![
                (BODY, b"Call us by ".to_vec()),
                (bold, b"July 9, 2025".to_vec()),
                (BODY, b", to dispute all or part of the debt.".to_vec())
            ]]
        );
        // Narrow enough that "2025," must move down whole: the comma never starts a line.
        let lines = wrap_spans(&spans, 90.0);
        assert!(lines.len() > 2);
        for line in &lines {
            let width: f32 = line.iter().map(|(s, t)| s.width(t)).sum();
            assert!(width <= 90.0, "{line:?}");
            assert_ne!(line[0].1.first(), Some(&b','));
        }
        assert_eq!(wrap_spans(&[], 100.0), vec![Vec::<Piece>::new()]);
        let broken = wrap_spans(&[(bold, "Recoup LLC\n"), (BODY, "1 Main St\nSpringfield")], 500.0);
        assert_eq!(
            broken,
            vec![vec![(bold, b"Recoup LLC".to_vec())], vec![(BODY, b"1 Main St".to_vec())], vec![(BODY, b"Springfield".to_vec())]]
        );
    }

    #[test]
    fn truncate_cuts_with_an_ellipsis() {
        assert_eq!(truncate("short", BODY, 100.0), b"short");
        let cut = truncate(&"x".repeat(100), BODY, 50.0);
        assert_eq!(cut.last(), Some(&ELLIPSIS));
        assert!(BODY.width(&cut) <= 50.0);
    }
}
