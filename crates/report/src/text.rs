//! Fonts and text measurement: the fonts compiled into the binary (see `fonts/README.md`), which
//! face sets each character, how wide a string is and where lines break.
//!
//! Measuring shapes text with rustybuzz, the shaper krilla draws it with, so a layout computed
//! here is the layout the PDF shows. The SVG names the same families; a browser without them
//! substitutes its own, a few per cent wider or narrower.
use std::sync::OnceLock;

static REGULAR: &[u8] = include_bytes!("../fonts/NotoSans-Regular.ttf");
static BOLD: &[u8] = include_bytes!("../fonts/NotoSans-Bold.ttf");
static CJK: &[u8] = include_bytes!("../fonts/NotoSansCJKsc-Regular-GB2312.otf");

/// The CSS font list of the SVG and HTML: the faces the PDF embeds, then the platform's.
pub const FONT_FAMILY: &str = "'Noto Sans', 'Noto Sans CJK SC', Helvetica, Arial, sans-serif";

/// One of the embedded faces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Face {
    Regular,
    Bold,
    /// Chinese (GB 2312), CJK punctuation, arrows and mathematical operators; regular weight
    /// only, so bold text in it is drawn with an outline.
    Cjk,
}

impl Face {
    pub(crate) fn data(self) -> &'static [u8] {
        match self {
            Face::Regular => REGULAR,
            Face::Bold => BOLD,
            Face::Cjk => CJK,
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    /// The parsed face (parsed once; the data is static).
    pub(crate) fn shaper(self) -> &'static rustybuzz::Face<'static> {
        static FACES: [OnceLock<rustybuzz::Face<'static>>; 3] =
            [OnceLock::new(), OnceLock::new(), OnceLock::new()];
        FACES[self.index()].get_or_init(|| {
            // The bytes are compiled in and checked by this crate's tests.
            rustybuzz::Face::from_slice(self.data(), 0).expect("embedded font parses")
        })
    }

    fn has(self, c: char) -> bool {
        self.shaper().glyph_index(c).is_some()
    }
}

/// The face that sets `c`: Noto Sans where it has the glyph, else the CJK face (which also
/// holds the mathematical operators Noto Sans lacks).
pub fn face_for(c: char, bold: bool) -> Face {
    let latin = if bold { Face::Bold } else { Face::Regular };
    if latin.has(c) || !Face::Cjk.has(c) {
        latin
    } else {
        Face::Cjk
    }
}

/// Control characters (newlines, tabs) as spaces: a run of text is one line.
pub fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// `s` cut into runs that one face sets each.
pub fn runs(s: &str, bold: bool) -> Vec<(Face, &str)> {
    let mut out: Vec<(Face, &str)> = Vec::new();
    let mut start = 0;
    let mut cur: Option<Face> = None;
    for (i, c) in s.char_indices() {
        // Spaces stay with the run they are in.
        let f = if c == ' ' {
            cur.unwrap_or(face_for(c, bold))
        } else {
            face_for(c, bold)
        };
        match cur {
            Some(g) if g != f => {
                out.push((g, &s[start..i]));
                start = i;
                cur = Some(f);
            }
            None => cur = Some(f),
            _ => {}
        }
    }
    if let Some(g) = cur {
        out.push((g, &s[start..]));
    }
    out
}

/// Width of one run in one face at `size` points (the shaped advances).
pub(crate) fn run_width(face: Face, s: &str, size: f64) -> f64 {
    let f = face.shaper();
    let mut buf = rustybuzz::UnicodeBuffer::new();
    buf.push_str(s);
    let shaped = rustybuzz::shape(f, &[], buf);
    let units: i64 = shaped
        .glyph_positions()
        .iter()
        .map(|p| i64::from(p.x_advance))
        .sum();
    units as f64 / f64::from(f.units_per_em()) * size
}

/// Width of `s` at `size` points.
pub fn width(s: &str, size: f64, bold: bool) -> f64 {
    runs(s, bold)
        .into_iter()
        .map(|(f, r)| run_width(f, r, size))
        .sum()
}

/// Han, kana and full-width characters: a line may break between any two of them.
fn breaks_anywhere(c: char) -> bool {
    matches!(c as u32, 0x2E80..=0x9FFF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF)
}

/// Lines of at most `max_w` points for `s` at `size`: greedy, breaking at spaces and between
/// CJK characters. A word longer than the line stands on a line of its own.
pub fn wrap(s: &str, size: f64, bold: bool, max_w: f64) -> Vec<String> {
    // Tokens: (text, preceded by a space).
    let mut tokens: Vec<(String, bool)> = Vec::new();
    let mut space = false;
    for c in clean(s).chars() {
        if c == ' ' {
            space = true;
            continue;
        }
        let joins = !space
            && !breaks_anywhere(c)
            && tokens
                .last()
                .and_then(|(t, _)| t.chars().last())
                .is_some_and(|p| !breaks_anywhere(p));
        if joins {
            if let Some((t, _)) = tokens.last_mut() {
                t.push(c);
            }
        } else {
            tokens.push((c.to_string(), space));
        }
        space = false;
    }
    let mut lines = Vec::new();
    let mut line = String::new();
    for (t, sp) in tokens {
        let candidate = if line.is_empty() {
            t.clone()
        } else if sp {
            format!("{line} {t}")
        } else {
            format!("{line}{t}")
        };
        if !line.is_empty() && width(&candidate, size, bold) > max_w {
            lines.push(std::mem::replace(&mut line, t));
        } else {
            line = candidate;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_character_the_reports_use_has_a_glyph() {
        // Units and symbols of the bench and training reports, and Chinese text.
        for c in
            "ΔP µ ± ² ³ ₂ ₁ ° × ÷ · – — … • ≤ ≥ → − ∝ ″ ‘’ “” é ü ñ 患者张三氧合器血流量".chars()
        {
            let f = face_for(c, false);
            assert!(f.has(c), "{c:?} has no glyph");
        }
        assert_eq!(face_for('Δ', false), Face::Regular);
        assert_eq!(face_for('Δ', true), Face::Bold);
        assert_eq!(face_for('≥', false), Face::Cjk);
        assert_eq!(face_for('张', true), Face::Cjk);
    }

    #[test]
    fn runs_split_by_face_and_widths_add_up() {
        let r = runs("Trainee 张三 ΔP ≥ 40", false);
        let faces: Vec<Face> = r.iter().map(|(f, _)| *f).collect();
        assert_eq!(
            faces,
            [
                Face::Regular,
                Face::Cjk,
                Face::Regular,
                Face::Cjk,
                Face::Regular
            ]
        );
        assert_eq!(
            r.iter().map(|(_, s)| *s).collect::<String>(),
            "Trainee 张三 ΔP ≥ 40"
        );
        // Noto Sans: 'M' is wider than 'i'; a CJK character is one em.
        assert!(width("M", 10.0, false) > 2.0 * width("i", 10.0, false));
        assert!((width("张", 10.0, false) - 10.0).abs() < 0.01);
        assert!(width("Bold", 10.0, true) > width("Bold", 10.0, false));
    }

    #[test]
    fn wrap_respects_the_width_and_breaks_chinese() {
        let lines = wrap(&"word ".repeat(100), 10.0, false, 200.0);
        assert!(lines.len() > 5);
        for l in &lines {
            assert!(width(l, 10.0, false) <= 200.0, "{l}");
        }
        let zh = "患者在体外膜肺氧合期间出现低血容量和抽吸事件，需要减少泵速并补充容量。";
        let lines = wrap(zh, 10.0, false, 100.0);
        assert!(lines.len() >= 3, "{lines:?}");
        assert_eq!(lines.concat(), zh);
        assert_eq!(wrap("a\nb", 10.0, false, 100.0), ["a b"]);
    }
}
