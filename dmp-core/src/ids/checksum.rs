//! Check-key algorithms shared by the identifiers (Luhn, NIR mod 97).

/// Sum of the Luhn algorithm over `digits` (values 0..=9, most significant first), the last
/// digit being the key (not doubled). The number is valid when the sum is a multiple of 10.
fn luhn_sum(digits: &[u8]) -> u32 {
    digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let dd = d * 2;
                if dd > 9 {
                    dd - 9
                } else {
                    dd
                }
            } else {
                d
            }
        })
        .sum()
}

/// True when `digits` (values 0..=9, key last) pass the standard Luhn check.
pub(crate) fn luhn_valid(digits: &[u8]) -> bool {
    luhn_sum(digits).is_multiple_of(10)
}

/// The Luhn key that makes `body ++ [key]` valid.
pub(crate) fn luhn_key(body: &[u8]) -> u8 {
    let mut with_zero = body.to_vec();
    with_zero.push(0);
    let rem = luhn_sum(&with_zero) % 10;
    // `rem` < 10, so the cast cannot truncate.
    ((10 - rem) % 10) as u8
}

/// The NIR/NIA key: `97 - (number mod 97)`, in `1..=97`.
pub(crate) fn nir_key(number: u64) -> u8 {
    // `number % 97` < 97, so the result fits in a u8.
    (97 - number % 97) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digits(s: &str) -> Vec<u8> {
        s.bytes().map(|b| b - b'0').collect()
    }

    #[test]
    fn luhn_known_values() {
        // Classic example from the Luhn literature.
        assert!(luhn_valid(&digits("79927398713")));
        assert!(!luhn_valid(&digits("79927398710")));
        assert_eq!(luhn_key(&digits("7992739871")), 3);
        assert_eq!(luhn_key(&digits("")), 0);
    }

    #[test]
    fn nir_key_range() {
        assert_eq!(nir_key(0), 97);
        assert_eq!(nir_key(96), 1);
        assert_eq!(nir_key(2_790_351_215_189), 89);
    }
}
