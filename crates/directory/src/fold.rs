//! Text as search compares it: lower case, diacritics gone, letters that
//! decompose to nothing spelled out (ß -> ss, ø -> o, ł -> l), everything
//! else that is not a letter or digit a word break. `Öztürk` folds to
//! `ozturk`, so typing `ozt` finds it.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// `text` folded: words of lower-case letters and digits, one space apart.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.nfkd() {
        if is_combining_mark(c) {
            continue;
        }
        if let Some(spelled) = spelled_out(c) {
            push_word_char(&mut out, &mut pending_space, spelled);
        } else if c.is_alphanumeric() {
            for lower in c.to_lowercase() {
                let mut buf = [0u8; 4];
                push_word_char(&mut out, &mut pending_space, lower.encode_utf8(&mut buf));
            }
        } else {
            pending_space = !out.is_empty();
        }
    }
    out
}

fn push_word_char(out: &mut String, pending_space: &mut bool, s: &str) {
    if *pending_space {
        out.push(' ');
        *pending_space = false;
    }
    out.push_str(s);
}

/// Letters Unicode does not decompose into a base letter and a mark.
fn spelled_out(c: char) -> Option<&'static str> {
    Some(match c {
        'ß' | 'ẞ' => "ss",
        'æ' | 'Æ' => "ae",
        'œ' | 'Œ' => "oe",
        'ø' | 'Ø' => "o",
        'ł' | 'Ł' => "l",
        'đ' | 'Đ' | 'ð' | 'Ð' => "d",
        'þ' | 'Þ' => "th",
        'ı' => "i",
        'ħ' | 'Ħ' => "h",
        _ => return None,
    })
}

/// The digits of `text` (`+49 (30) 5550-777` -> `49305550777`).
pub fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_and_diacritics_fold_away() {
        assert_eq!(fold("Öztürk"), "ozturk");
        assert_eq!(fold("  José   Álvarez-Núñez "), "jose alvarez nunez");
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("Søren Łukasz"), "soren lukasz");
        assert_eq!(fold("ＡＢＣ"), "abc", "full-width letters are letters");
        assert_eq!(fold("İstanbul"), "istanbul");
        assert_eq!(fold("Ελένη"), "ελενη", "other scripts keep their letters");
        assert_eq!(fold("--"), "");
    }

    #[test]
    fn digits_are_the_number_without_its_dress() {
        assert_eq!(digits("+49 (30) 5550-777"), "49305550777");
        assert_eq!(digits("sip:2001@pbx"), "2001");
    }
}
