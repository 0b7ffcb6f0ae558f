//! Clean text (CONTRACT §8): what every string a client sends must not hold, and the one form a
//! text is stored in.

use chrono::NaiveDate;
use unicode_normalization::UnicodeNormalization;

use crate::violations::Violation;

/// Trims `text` and writes it in Unicode NFC, so that `Café` typed two ways is one name.
///
/// Applied to new input only, when it is read: a stored event is never re-normalised, so its
/// hash does not change.
pub fn normalize(text: &mut String) {
    let trimmed = text.trim();
    let unchanged = trimmed.len() == text.len()
        && unicode_normalization::is_nfc_quick(trimmed.chars())
            == unicode_normalization::IsNormalized::Yes;
    if !unchanged {
        *text = trimmed.nfc().collect();
    }
}

/// The rules every string a client sends obeys: no control characters and no bidi overrides
/// (they hide or reorder text on a screen and in a terminal), and no CPR number.
pub fn check_clean(text: &str) -> Result<(), Violation> {
    if let Some(character) = text.chars().find(|character| is_forbidden(*character)) {
        return Err(Violation::ControlCharacter {
            code_point: u32::from(character),
        });
    }
    if contains_cpr(text) {
        return Err(Violation::CprNumber);
    }
    Ok(())
}

/// C0 and C1 controls, DEL, and the bidi embeddings, overrides and isolates.
fn is_forbidden(character: char) -> bool {
    character.is_control() // C0, DEL and C1: U+0000-001F, U+007F-009F
        || ('\u{202A}'..='\u{202E}').contains(&character)
        || ('\u{2066}'..='\u{2069}').contains(&character)
}

/// Whether `text` holds a CPR-shaped run: six digits that form a real date DDMMYY, then
/// nothing, a hyphen or a space, then four digits, not part of a longer run of digits.
///
/// `aftale 2024-000123` holds none (the six digits `000123` are no date and come after the
/// four); `Borger 010190-1234` and `0101901234` hold one.
pub fn contains_cpr(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digit = |at: usize| bytes.get(at).is_some_and(u8::is_ascii_digit);
    (0..bytes.len()).any(|start| {
        let starts_a_run = start == 0 || !digit(start - 1);
        let six = (start..start + 6).all(digit) && !digit(start + 6);
        let joined = (start..start + 10).all(digit) && !digit(start + 10);
        let separated = matches!(bytes.get(start + 6), Some(b'-' | b' '))
            && (start + 7..start + 11).all(digit)
            && !digit(start + 11);
        starts_a_run && (joined || (six && separated)) && is_ddmmyy(&bytes[start..start + 6])
    })
}

/// Six ASCII digits that name a day: DD MM YY, in 19YY or 20YY (29 February needs a leap year
/// in one of them; CPR's seventh digit would tell which century, but a shape is enough here).
fn is_ddmmyy(digits: &[u8]) -> bool {
    let pair = |at: usize| u32::from(digits[at] - b'0') * 10 + u32::from(digits[at + 1] - b'0');
    let (day, month, year) = (pair(0), pair(2), pair(4) as i32);
    [1900, 2000]
        .into_iter()
        .any(|century| NaiveDate::from_ymd_opt(century + year, month, day).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpr_runs_are_found_by_date_separator_and_boundary() {
        let found = [
            "0101901234",
            "010190-1234",
            "010190 1234",
            "Borger 010190-1234, Jens Hansen",
            "CPR-0101901234",
            "x290200-1234",  // 29 February 2000
            "311299 0000 z", // 31 December
        ];
        let not_found = [
            "aftale 2024-000123",
            "320190-1234",  // day 32
            "011390-1234",  // month 13
            "290201-1234",  // 29 February 1901 and 2001
            "010190--1234", // two hyphens
            "010190_1234",
            "10101901234",  // part of a longer run before
            "01019012345",  // and after
            "010190-12345", // five digits after the hyphen
            "0101901-1234",
            "010190-123",
            "sagsnr. 24-004614",
            "",
        ];
        for text in found {
            assert!(contains_cpr(text), "{text} holds a CPR number");
        }
        for text in not_found {
            assert!(!contains_cpr(text), "{text} holds no CPR number");
        }
    }

    #[test]
    fn controls_and_bidi_overrides_are_refused_and_plain_text_is_not() {
        for text in [
            "a\u{0}b",
            "\u{1b}[31m",
            "bell\u{7}",
            "del\u{7f}",
            "\u{85}",
            "x\u{202e}y",
            "\u{2066}",
            "a\nb",
            "a\tb",
        ] {
            assert!(
                matches!(check_clean(text), Err(Violation::ControlCharacter { .. })),
                "{text:?}"
            );
        }
        for text in [
            "Café Kvisten ApS",
            "Æblegården – ØKO",
            "العربية",
            "נ",
            "emoji 🙂",
        ] {
            assert_eq!(check_clean(text), Ok(()), "{text:?}");
        }
    }

    #[test]
    fn normalizing_trims_and_composes() {
        let mut decomposed = " Cafe\u{301} ".to_owned();
        normalize(&mut decomposed);
        assert_eq!(decomposed, "Caf\u{e9}");
        let mut composed = "Caf\u{e9}".to_owned();
        normalize(&mut composed);
        assert_eq!(composed, "Caf\u{e9}");
    }
}
