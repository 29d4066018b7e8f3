//! Typed errors of the engine. Messages never contain patient values or input paths.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum CoreError {
    #[error("{0}")]
    Invalid(String),
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    #[error("DICOM error: {0}")]
    Dicom(String),
    #[error("pixel data: {0}")]
    Pixels(String),
    #[error("configuration: {0}")]
    Config(String),
    #[error("cancelled")]
    Cancelled,
}

pub type Result<T, E = CoreError> = std::result::Result<T, E>;
