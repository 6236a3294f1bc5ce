//! Exact fixed-point decimal parsing shared by [`Money`](crate::Money),
//! [`Area`](crate::Area) and [`Ratio`](crate::Ratio).
//!
//! Why one parser: amounts, areas and ratios are typed by people into forms
//! and copied out of notices, and all three must go from text to an integer
//! without ever passing through a float. Keeping the grammar in one place
//! means the three types accept and refuse exactly the same shapes of text:
//!
//! ```text
//! digits [ "." digits ]          surrounded by optional whitespace
//! ```
//!
//! Signs, digit grouping (`1,000`), exponents (`1e5`), a bare point (`.5`,
//! `5.`) and anything else are refused with a [`Problem`] that each caller
//! turns into its own Chinese error message. The parser is total: it never
//! panics and never overflows, whatever the input.

/// The result of a successful parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fixed {
    /// The value scaled by `10^max_scale`, e.g. "1.5" with `max_scale = 2`
    /// gives 150. Always non-negative.
    pub(crate) value: i128,
    /// How many decimals were written ("1.50" → 2, "1.5" → 1, "1" → 0).
    pub(crate) scale: u8,
}

/// Why a text is not a decimal number. Positions are 1-based and count
/// characters (not bytes) of the original input, leading whitespace included,
/// so that they match what the user sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Problem {
    /// Nothing but whitespace.
    Empty,
    /// A plus or minus sign (ASCII, full-width or the Unicode minus).
    Sign { sign: char },
    /// A grouping comma, ASCII or full-width.
    Grouping,
    /// An exponent marker `e` or `E`.
    Exponent,
    /// Any other character that is neither a digit nor a point.
    InvalidChar { ch: char, position: usize },
    /// More than one decimal point.
    MultipleDots,
    /// A point with no digit before or after it.
    MissingDigit,
    /// More decimals than the type can hold.
    TooManyDecimals { found: usize },
    /// The value does not fit.
    Overflow,
}

/// Parses `input` as a non-negative decimal with at most `max_scale`
/// decimals. `max_scale` must be small (the callers use 2, 4 and 6).
pub(crate) fn parse_fixed(input: &str, max_scale: u8) -> Result<Fixed, Problem> {
    let trimmed_start = input.trim_start();
    let lead_chars = input[..input.len() - trimmed_start.len()].chars().count();
    let s = trimmed_start.trim_end();
    if s.is_empty() {
        return Err(Problem::Empty);
    }

    // First pass: classify the first character that is not allowed at all,
    // so that the message names the real mistake.
    for (i, ch) in s.chars().enumerate() {
        match ch {
            '0'..='9' | '.' => {}
            '+' | '-' | '\u{2212}' | '\u{FF0B}' | '\u{FF0D}' => {
                return Err(Problem::Sign { sign: ch });
            }
            ',' | '\u{FF0C}' => return Err(Problem::Grouping),
            'e' | 'E' => return Err(Problem::Exponent),
            _ => {
                return Err(Problem::InvalidChar {
                    ch,
                    position: lead_chars + i + 1,
                });
            }
        }
    }

    // Only ASCII digits and points remain, so byte slicing is safe.
    let (int_part, frac_part) = match s.split_once('.') {
        None => (s, ""),
        Some((_, rest)) if rest.contains('.') => return Err(Problem::MultipleDots),
        Some((int_part, frac_part)) => {
            if int_part.is_empty() || frac_part.is_empty() {
                return Err(Problem::MissingDigit);
            }
            (int_part, frac_part)
        }
    };
    if frac_part.len() > usize::from(max_scale) {
        return Err(Problem::TooManyDecimals {
            found: frac_part.len(),
        });
    }

    let mut value: i128 = 0;
    for b in int_part.bytes().chain(frac_part.bytes()) {
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(i128::from(b - b'0')))
            .ok_or(Problem::Overflow)?;
    }
    // frac_part.len() <= max_scale, so the exponent is small.
    let missing = u32::from(max_scale) - frac_part.len() as u32;
    value = value
        .checked_mul(10i128.pow(missing))
        .ok_or(Problem::Overflow)?;

    Ok(Fixed {
        value,
        scale: frac_part.len() as u8,
    })
}

/// Parses the serde form of a signed quantity: [`parse_fixed`] plus an
/// optional leading ASCII `-` directly followed by a digit, so that every
/// value a type prints can be read back. Forms never accept the sign; only
/// the wire does. Returns the signed scaled value.
pub(crate) fn parse_signed_fixed(input: &str, max_scale: u8) -> Result<i128, Problem> {
    let trimmed = input.trim();
    match trimmed.strip_prefix('-') {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => {
            parse_fixed(rest, max_scale).map(|f| -f.value)
        }
        _ => parse_fixed(input, max_scale).map(|f| f.value),
    }
}

/// Writes a signed scaled integer with exactly `scale` decimals.
pub(crate) fn format_signed(value: i64, scale: u8) -> String {
    let sign = if value < 0 { "-" } else { "" };
    format!(
        "{sign}{}",
        format_unsigned(u128::from(value.unsigned_abs()), scale)
    )
}

/// Writes a non-negative scaled integer with exactly `scale` decimals.
/// `value` is scaled by `10^scale`.
pub(crate) fn format_unsigned(value: u128, scale: u8) -> String {
    if scale == 0 {
        return value.to_string();
    }
    let factor = 10u128.pow(u32::from(scale));
    format!(
        "{}.{:0width$}",
        value / factor,
        value % factor,
        width = usize::from(scale)
    )
}

/// Inserts thousands separators into a string of ASCII digits.
pub(crate) fn group_thousands(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i != 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// Divides and rounds half away from zero ("四舍五入"), the rounding that
/// Chinese financial notices use. `divisor` must be positive.
pub(crate) fn div_round_half_up(dividend: i128, divisor: i128) -> i128 {
    debug_assert!(divisor > 0);
    let quotient = dividend / divisor;
    let remainder = dividend % divisor;
    // |remainder| < divisor, so doubling it cannot overflow for the
    // magnitudes the callers use (products of two i64 values at most).
    if remainder.unsigned_abs() * 2 >= divisor.unsigned_abs() {
        quotient + dividend.signum()
    } else {
        quotient
    }
}

/// Describes a character for an error message, naming invisible ones.
pub(crate) fn describe_char(ch: &char) -> String {
    match ch {
        ' ' => "空格".to_owned(),
        '\u{3000}' => "全角空格".to_owned(),
        '\t' => "制表符".to_owned(),
        '\n' | '\r' => "换行符".to_owned(),
        c if c.is_control() || c.is_whitespace() => format!("U+{:04X}", u32::from(*c)),
        c => format!("“{c}”"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_decimals() {
        assert_eq!(
            parse_fixed("18470", 2),
            Ok(Fixed {
                value: 1_847_000,
                scale: 0
            })
        );
        assert_eq!(
            parse_fixed(" 18470.5\t", 2),
            Ok(Fixed {
                value: 1_847_050,
                scale: 1
            })
        );
        assert_eq!(parse_fixed("0.05", 2), Ok(Fixed { value: 5, scale: 2 }));
    }

    #[test]
    fn refuses_malformed_text() {
        assert_eq!(parse_fixed("  ", 2), Err(Problem::Empty));
        assert_eq!(parse_fixed("-1", 2), Err(Problem::Sign { sign: '-' }));
        assert_eq!(parse_fixed("1,000", 2), Err(Problem::Grouping));
        assert_eq!(parse_fixed("1e5", 2), Err(Problem::Exponent));
        assert_eq!(
            parse_fixed(" 1 0", 2),
            Err(Problem::InvalidChar {
                ch: ' ',
                position: 3
            })
        );
        assert_eq!(parse_fixed("1.2.3", 2), Err(Problem::MultipleDots));
        assert_eq!(parse_fixed(".5", 2), Err(Problem::MissingDigit));
        assert_eq!(parse_fixed("5.", 2), Err(Problem::MissingDigit));
        assert_eq!(
            parse_fixed("1.234", 2),
            Err(Problem::TooManyDecimals { found: 3 })
        );
        assert_eq!(parse_fixed(&"9".repeat(60), 2), Err(Problem::Overflow));
    }

    #[test]
    fn groups_thousands() {
        assert_eq!(group_thousands("1"), "1");
        assert_eq!(group_thousands("123"), "123");
        assert_eq!(group_thousands("1234"), "1,234");
        assert_eq!(group_thousands("2326300000"), "2,326,300,000");
    }

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(div_round_half_up(5, 10), 1);
        assert_eq!(div_round_half_up(4, 10), 0);
        assert_eq!(div_round_half_up(-5, 10), -1);
        assert_eq!(div_round_half_up(-4, 10), 0);
        assert_eq!(div_round_half_up(150, 100), 2);
    }
}
