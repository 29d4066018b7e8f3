//! The engine: no terminal code here. Every function reports progress through a callback and
//! returns typed errors; nothing in `core` prints.

pub mod annotation;
pub mod crop;
pub mod dcm;
pub mod deid;
pub mod demo;
pub mod demo_archive;
pub mod display;
pub mod error;
pub mod export;
pub mod fsutil;
pub mod guard;
pub mod identity;
pub mod key;
pub mod load;
pub mod patients;
pub mod pixels;
pub mod regions;
pub mod settings;
pub mod tags;
pub mod text;
pub mod uid;
pub mod verify;
pub mod zipwrite;
