//! Input rules for accounts, as plain functions.

use crate::AccountsError;

fn invalid(msg: impl Into<String>) -> AccountsError {
    AccountsError::Invalid(msg.into())
}

pub fn username(s: &str) -> Result<String, AccountsError> {
    let s = s.trim().to_lowercase();
    let ok = (3..=32).contains(&s.chars().count())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    if ok {
        Ok(s)
    } else {
        Err(invalid(
            "username: 3–32 characters, letters, digits, `_`, `-` or `.`, starting with a letter",
        ))
    }
}

pub fn nickname(s: &str) -> Result<String, AccountsError> {
    let s = s.trim();
    if (1..=32).contains(&s.chars().count()) && !s.chars().any(char::is_control) {
        Ok(s.to_owned())
    } else {
        Err(invalid("nickname: 1–32 characters"))
    }
}

pub fn password(s: &str) -> Result<(), AccountsError> {
    if (8..=128).contains(&s.chars().count()) {
        Ok(())
    } else {
        Err(invalid("password: 8–128 characters"))
    }
}

/// A mainland mobile number (`13800000001`, optionally `+86`) or an international `+` number.
pub fn phone(s: &str) -> Result<String, AccountsError> {
    let compact: String = s.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let local = compact.strip_prefix("+86").unwrap_or(&compact);
    if local.len() == 11 && local.starts_with('1') && local.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(local.to_owned());
    }
    if let Some(intl) = compact.strip_prefix('+') {
        if (8..=15).contains(&intl.len()) && intl.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(compact);
        }
    }
    Err(invalid(
        "phone: an 11-digit mobile number such as 13800000001, or +<country><number>",
    ))
}

pub fn email(s: &str) -> Result<String, AccountsError> {
    let s = s.trim().to_lowercase();
    let ok = s.len() <= 254
        && !s.contains(char::is_whitespace)
        && s.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if ok {
        Ok(s)
    } else {
        Err(invalid("email: not a valid address"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_what_it_accepts() {
        assert_eq!(username(" Operator ").unwrap(), "operator");
        assert!(username("1abc").is_err());
        assert!(username("ab").is_err());
        assert_eq!(phone("+86 138-0000-0001").unwrap(), "13800000001");
        assert_eq!(phone("+14155550123").unwrap(), "+14155550123");
        assert!(phone("12345").is_err());
        assert_eq!(email("Ann@Example.COM").unwrap(), "ann@example.com");
        assert!(email("ann@").is_err());
        assert!(password("short").is_err());
        assert!(nickname("   ").is_err());
    }
}
