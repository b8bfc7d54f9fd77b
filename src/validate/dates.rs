//! Dates must be real calendar days written `YYYY-MM-DD` (checked while decoding).

pub use crate::rules::decode::BAD_DATE;
