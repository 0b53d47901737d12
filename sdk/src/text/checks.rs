//! Check digits and format rules that make a number an identifier rather than a coincidence.

/// Luhn (ISO/IEC 7812) over the digits of `s` (card numbers).
pub fn luhn(digits: &[u8]) -> bool {
    if digits.len() < 2 {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// マイナンバー check digit (番号法施行令 第8条): with P₁…P₁₁ counted from the right of the first
/// 11 digits and Qₙ = n + 1 (n ≤ 6) or n − 5 (n ≥ 7), the check digit is 11 − (ΣPₙQₙ mod 11),
/// or 0 when that remainder is 0 or 1.
pub fn my_number(digits: &[u8]) -> bool {
    if digits.len() != 12 {
        return false;
    }
    let sum: u32 = (1..=11)
        .map(|n| {
            let p = u32::from(digits[11 - n]);
            let q = if n <= 6 { n as u32 + 1 } else { n as u32 - 5 };
            p * q
        })
        .sum();
    let r = sum % 11;
    let check = if r <= 1 { 0 } else { 11 - r };
    u32::from(digits[11]) == check
}

/// US Social Security Number rules: area not 000, 666 or 900–999; group not 00; serial not 0000.
pub fn ssn(digits: &[u8]) -> bool {
    if digits.len() != 9 {
        return false;
    }
    let num = |r: std::ops::Range<usize>| digits[r].iter().fold(0u32, |a, &d| a * 10 + u32::from(d));
    let (area, group, serial) = (num(0..3), num(3..5), num(5..9));
    area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
}

/// Card numbers: 13–19 digits, an issuer prefix that exists, and a valid Luhn digit.
pub fn credit_card(digits: &[u8]) -> bool {
    (13..=19).contains(&digits.len()) && matches!(digits[0], 2..=6) && luhn(digits)
}

/// US ABA routing number: 3·(d1+d4+d7) + 7·(d2+d5+d8) + (d3+d6+d9) ≡ 0 (mod 10).
pub fn aba_routing(d: &[u8]) -> bool {
    if d.len() != 9 {
        return false;
    }
    let w = |i: usize| u32::from(d[i]);
    (3 * (w(0) + w(3) + w(6)) + 7 * (w(1) + w(4) + w(7)) + (w(2) + w(5) + w(8))) % 10 == 0
}

/// The ASCII digits of `s` as values 0–9.
pub fn digits_of(s: &str) -> Vec<u8> {
    s.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0').collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_and_cards() {
        assert!(credit_card(&digits_of("4111 1111 1111 1111")));
        assert!(!credit_card(&digits_of("4111 1111 1111 1112")));
        assert!(credit_card(&digits_of("3530-1113-3330-0000"))); // JCB test number
        assert!(!credit_card(&digits_of("1234 5678 9012 3456")));
    }

    #[test]
    fn my_number_check_digit() {
        // 12345678901 → ΣPQ = 1·2+0·3+9·4+8·5+7·6+6·7+5·2+4·3+3·4+2·5+1·6 = 212; 212 mod 11 = 3 → 8
        assert!(my_number(&digits_of("1234 5678 9018")));
        assert!(!my_number(&digits_of("1234 5678 9012")));
        // remainder 0 or 1 → check digit 0: 00000000000 gives 0
        assert!(my_number(&digits_of("000000000000")));
        assert!(!my_number(&digits_of("1234 5678 901")));
    }

    #[test]
    fn aba_checksum() {
        assert!(aba_routing(&digits_of("011000015"))); // a published Federal Reserve routing number
        assert!(!aba_routing(&digits_of("011000016")));
    }

    #[test]
    fn ssn_rules() {
        assert!(ssn(&digits_of("123-45-6789")));
        assert!(!ssn(&digits_of("666-45-6789")));
        assert!(!ssn(&digits_of("912-45-6789")));
        assert!(!ssn(&digits_of("123-00-6789")));
        assert!(!ssn(&digits_of("123-45-0000")));
    }
}
