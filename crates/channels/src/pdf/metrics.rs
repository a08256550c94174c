//! Advance widths of the standard Helvetica fonts, so text can be measured for wrapping and
//! right alignment without a font file.

/// One of the two standard fonts a document uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Font {
    Regular,
    Bold,
}

impl Font {
    /// The standard 14 font name, which readers supply themselves.
    pub(crate) fn base_font(self) -> &'static [u8] {
        match self {
            Font::Regular => b"Helvetica",
            Font::Bold => b"Helvetica-Bold",
        }
    }

    /// The name the page resources give the font in content streams.
    pub(crate) fn resource(self) -> &'static [u8] {
        match self {
            Font::Regular => b"F1",
            Font::Bold => b"F2",
        }
    }

    fn widths(self) -> &'static [u16; 224] {
        match self {
            Font::Regular => &REGULAR,
            Font::Bold => &BOLD,
        }
    }
}

/// A font at a size: what a run of text is set in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Style {
    pub font: Font,
    pub size: f32,
}

impl Style {
    /// Width in points of WinAnsi-encoded `text`.
    pub(crate) fn width(self, text: &[u8]) -> f32 {
        let widths = self.font.widths();
        let units: u32 = text.iter().map(|&b| u32::from(b.checked_sub(32).map_or(0, |i| widths[usize::from(i)]))).sum();
        units as f32 * self.size / 1000.0
    }

    /// Distance between baselines; 1.4 em reads comfortably at letter sizes.
    pub(crate) fn leading(self) -> f32 {
        self.size * 1.4
    }
}

// Widths in 1/1000 em for WinAnsi codes 32..=255, taken glyph by glyph from Adobe's public Core 14
// AFM files (Helvetica and Helvetica-Bold, version 002.000), the metrics PDF readers lay the
// standard fonts out with: each code's WinAnsiEncoding glyph name looked up in the AFM's character
// metrics. Codes WinAnsi leaves undefined are 0: the encoder never emits them.
#[rustfmt::skip] // one line per 16 codes, so a width can be found by its code
const REGULAR: [u16; 224] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // 0x20
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0x30
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // 0x40
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // 0x50
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // 0x60
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, 0, // 0x70
    556, 0, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0, // 0x80
    0, 222, 222, 333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 0, 500, 667, // 0x90
    278, 333, 556, 556, 556, 556, 260, 556, 333, 737, 370, 556, 584, 333, 737, 333, // 0xA0
    400, 584, 333, 333, 333, 556, 537, 278, 333, 333, 365, 556, 834, 834, 834, 611, // 0xB0
    667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278, // 0xC0
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611, // 0xD0
    556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278, // 0xE0
    556, 556, 556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500, // 0xF0
];

#[rustfmt::skip] // one line per 16 codes, so a width can be found by its code
const BOLD: [u16; 224] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, // 0x20
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, // 0x30
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, // 0x40
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, // 0x50
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, // 0x60
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, 0, // 0x70
    556, 0, 278, 556, 500, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0, // 0x80
    0, 278, 278, 500, 500, 350, 556, 1000, 333, 1000, 556, 333, 944, 0, 500, 667, // 0x90
    278, 333, 556, 556, 556, 556, 280, 556, 333, 737, 370, 556, 584, 333, 737, 333, // 0xA0
    400, 584, 333, 333, 333, 611, 556, 278, 333, 333, 365, 556, 834, 834, 834, 611, // 0xB0
    722, 722, 722, 722, 722, 722, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278, // 0xC0
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611, // 0xD0
    556, 556, 556, 556, 556, 556, 889, 556, 556, 556, 556, 556, 278, 278, 278, 278, // 0xE0
    611, 611, 611, 611, 611, 611, 611, 584, 611, 611, 611, 611, 611, 556, 611, 556, // 0xF0
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_match_the_helvetica_metrics() {
        let regular = Style { font: Font::Regular, size: 1000.0 };
        let bold = Style { font: Font::Bold, size: 1000.0 };
        assert_eq!(regular.width(b" "), 278.0);
        assert_eq!(regular.width(b"Ai"), 667.0 + 222.0);
        assert_eq!(bold.width(b"Ai"), 722.0 + 278.0);
        assert_eq!(regular.width(&[0x80, 0xE9]), 556.0 + 556.0, "euro and e-acute");
        assert_eq!(regular.width(&[0xB5, 0x27, 0x60]), 556.0 + 191.0 + 333.0, "micro, quotesingle and grave, as WinAnsi names them");
        assert_eq!(regular.width(b"0123456789"), 5560.0, "figures share one width, so amounts line up");
    }
}
