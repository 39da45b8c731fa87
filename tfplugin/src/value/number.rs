//! Exact numbers. Terraform numbers are arbitrary-precision decimals; they
//! never pass through `f64` here, because `0.1` as a float is not cty's `0.1`
//! and a round trip through `f64` makes Terraform report an inconsistent result.

use std::fmt;
use std::str::FromStr;

use bigdecimal::BigDecimal;
use num_bigint::BigInt;

/// An exact decimal number.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Number(BigDecimal);

/// Text that is not a decimal number, or one whose exponent is beyond
/// [`MAX_EXPONENT`].
#[derive(Debug, thiserror::Error)]
#[error("{0:?} is not a number")]
pub struct NotANumber(pub String);

/// The largest decimal exponent, either way, of a number read from text.
/// Terraform writes numbers in plain notation, so it never sends more; and
/// exact arithmetic on a number such as `1e999999999` (its integer value,
/// its plain text) takes unbounded time and memory.
pub(super) const MAX_EXPONENT: i64 = 10_000;

impl Number {
    /// The value as `i64`, when it is an integer in range.
    pub fn to_i64(&self) -> Option<i64> {
        if !self.0.is_integer() {
            return None;
        }
        let (digits, scale) = self.0.as_bigint_and_exponent();
        let int = if scale >= 0 {
            digits / BigInt::from(10).pow(u32::try_from(scale).ok()?)
        } else {
            digits * BigInt::from(10).pow(u32::try_from(-scale).ok()?)
        };
        i64::try_from(int).ok()
    }

    /// The value as `f64`, only when the conversion is exact (as go-cty encodes
    /// a number as a float64 only when `big.Float.Float64` is exact).
    pub fn to_exact_f64(&self) -> Option<f64> {
        let float: f64 = self.to_string().parse().ok()?;
        if !float.is_finite() {
            return None;
        }
        (Number::from_f64_exact(float)? == *self).then_some(float)
    }

    /// The exact decimal value of a finite float (every finite binary
    /// float has a finite decimal expansion).
    pub fn from_f64_exact(value: f64) -> Option<Number> {
        if !value.is_finite() {
            return None;
        }
        if value == 0.0 {
            return Some(Number::from(0i64));
        }
        let bits = value.to_bits();
        let negative = bits >> 63 == 1;
        let exponent = ((bits >> 52) & 0x7ff) as i64;
        let fraction = bits & ((1u64 << 52) - 1);
        let (mantissa, exp2) = if exponent == 0 {
            (fraction, -1074)
        } else {
            (fraction | (1u64 << 52), exponent - 1075)
        };
        let mut mantissa = BigInt::from(mantissa);
        if negative {
            mantissa = -mantissa;
        }
        let decimal = if exp2 >= 0 {
            BigDecimal::from(mantissa * BigInt::from(2).pow(u32::try_from(exp2).ok()?))
        } else {
            // m * 2^-k == m * 5^k / 10^k
            let k = u32::try_from(-exp2).ok()?;
            BigDecimal::new(mantissa * BigInt::from(5).pow(k), i64::from(k))
        };
        Some(Number(decimal.normalized()))
    }
}

impl From<i64> for Number {
    fn from(value: i64) -> Self {
        Number(BigDecimal::from(value))
    }
}

impl From<u64> for Number {
    fn from(value: u64) -> Self {
        Number(BigDecimal::from(value))
    }
}

impl FromStr for Number {
    type Err = NotANumber;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let refuse = || NotANumber(text.chars().take(100).collect());
        let number = BigDecimal::from_str(text.trim())
            .map_err(|_| refuse())?
            .normalized();
        let (_, exponent) = number.as_bigint_and_exponent();
        if exponent.unsigned_abs() > MAX_EXPONENT.unsigned_abs() {
            return Err(refuse());
        }
        Ok(Number(number))
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_integer()
            && let Some(i) = self.to_i64()
        {
            return write!(f, "{i}");
        }
        write!(f, "{}", self.0.to_plain_string())
    }
}

/// A model field of type `Number` holds any Terraform number exactly (big,
/// negative, fractional): it travels through the value codec as its decimal
/// text, never as a float. Other serde formats see that text as a string.
impl serde::Serialize for Number {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_newtype_struct(super::NUMBER_TOKEN, &self.to_string())
    }
}

impl<'de> serde::Deserialize<'de> for Number {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_newtype_struct(super::NUMBER_TOKEN, NumberVisitor)
    }
}

struct NumberVisitor;

impl<'de> serde::de::Visitor<'de> for NumberVisitor {
    type Value = Number;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number")
    }

    fn visit_newtype_struct<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Number, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Number, E> {
        text.parse().map_err(E::custom)
    }

    fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<Number, E> {
        Ok(Number::from(value))
    }

    fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<Number, E> {
        Ok(Number::from(value))
    }

    fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<Number, E> {
        format!("{value}").parse().map_err(E::custom)
    }
}

impl schemars::JsonSchema for Number {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Number".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "number" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_hold_numbers_exactly() {
        use crate::value::{Type, Value, from_value, to_value};
        for text in ["0.1", "-42", "12345678901234567890123", "-0.000001", "1e40"] {
            let number: Number = text.parse().expect("number");
            let value = to_value(&number, &Type::Number).expect("serialize");
            assert_eq!(value, Value::Number(number.clone()), "{text}");
            let back: Number = from_value(value).expect("deserialize");
            assert_eq!(back, number, "{text}");
        }
        assert!(from_value::<Number>(Value::String("x".into())).is_err());
    }

    #[test]
    fn integers_and_exact_floats() {
        assert_eq!(
            "80".parse::<Number>().ok().and_then(|n| n.to_i64()),
            Some(80)
        );
        assert_eq!(
            "1.5".parse::<Number>().ok().and_then(|n| n.to_exact_f64()),
            Some(1.5)
        );
    }

    #[test]
    fn inexact_decimals_stay_decimals() {
        let tenth: Number = "0.1".parse().expect("number");
        assert_eq!(tenth.to_exact_f64(), None);
        assert_eq!(tenth.to_string(), "0.1");
        let big: Number = "12345678901234567890".parse().expect("number");
        assert_eq!(big.to_i64(), None);
        assert_eq!(big.to_string(), "12345678901234567890");
    }

    #[test]
    fn float_expansion_is_exact() {
        let n = Number::from_f64_exact(0.1).expect("finite");
        assert_ne!(n, "0.1".parse::<Number>().expect("number"));
        assert!(
            n.to_string()
                .starts_with("0.1000000000000000055511151231257827")
        );
        assert_eq!(Number::from_f64_exact(-2.0), Some(Number::from(-2i64)));
        assert_eq!(Number::from_f64_exact(f64::NAN), None);
    }

    #[test]
    fn huge_exponents_are_refused_not_expanded() {
        // Found by fuzzing: `1e999999999` as an integer needs a
        // billion-digit power of ten.
        for text in ["1e999999999", "1e-999999999", "-5E10001", "1e-10001"] {
            assert!(text.parse::<Number>().is_err(), "{text}");
        }
        let large: Number = "1e300".parse().expect("in range");
        assert_eq!(large.to_string().len(), 301);
        assert!("1e-10000".parse::<Number>().is_ok());
    }

    #[test]
    fn normalises_trailing_zeros() {
        assert_eq!("1.50".parse::<Number>().ok(), "1.5".parse::<Number>().ok());
        assert_eq!(
            "1e3".parse::<Number>().ok().and_then(|n| n.to_i64()),
            Some(1000)
        );
    }
}
