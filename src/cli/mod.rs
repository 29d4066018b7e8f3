//! The command line: argument definitions and the headless commands.

pub mod batch;
pub mod check;
pub mod logging;
pub mod merge;
mod report_stream;
pub mod verify;
pub mod verify_pixels;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "us-dicomizer",
    version,
    about = "Crop, tag, de-identify and export ultrasound DICOM for AI work",
    long_about = "Without a command, opens the terminal UI on the given files, folders or ZIP archives.\n\
                  Try it: `us-dicomizer demo /tmp/exam && us-dicomizer /tmp/exam`."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Files, folders or .zip archives to open in the terminal UI.
    pub paths: Vec<PathBuf>,
    /// Terminal graphics protocol for the preview.
    #[arg(long, value_parser = ["auto", "sixel", "kitty", "iterm2", "halfblocks"])]
    pub protocol: Option<String>,
    /// Start without restoring saved work; the saved session is kept aside (see README).
    #[arg(long)]
    pub fresh: bool,
    /// Open the built-in demo exam (written once into the data folder).
    #[arg(long)]
    pub demo: bool,
}

#[derive(Debug, Args, Clone)]
pub struct GlobalArgs {
    /// Configuration folder (settings.toml, keymaps/, deid.key); default $XDG_CONFIG_HOME/us-dicomizer.
    #[arg(long, global = true, value_name = "DIR")]
    pub config_dir: Option<PathBuf>,
    /// One more settings file, applied over the defaults and the config folder's settings.toml.
    #[arg(long, global = true, value_name = "FILE")]
    pub settings: Option<PathBuf>,
    /// De-identification key file (default: <config-dir>/deid.key, created on first use).
    #[arg(long, global = true, value_name = "PATH")]
    pub key_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Export inputs headlessly into a ZIP: validate, crop, de-identify, tag.
    Batch(Box<batch::BatchArgs>),
    /// Validate inputs only: a table of what would be used or skipped, and why.
    Check(check::CheckArgs),
    /// Write a small synthetic exam (fake PHI, burned-in banner) to try everything.
    Demo {
        /// Folder to create (default: ./us-dicomizer-demo).
        dir: Option<PathBuf>,
        /// Instead of the demo exam, a fake multi-patient archive with this many patients
        /// (for trying shards and pseudonyms at scale).
        #[arg(long, value_name = "N")]
        patients: Option<u32>,
        /// With --patients: studies per patient.
        #[arg(long, default_value_t = 2, requires = "patients")]
        studies: u32,
        /// With --patients: small single-frame files per study.
        #[arg(long, default_value_t = 3, requires = "patients")]
        files: u32,
        /// With --patients: cine loops in total (320x240, 20 frames).
        #[arg(long, default_value_t = 0, requires = "patients")]
        cines: u32,
    },
    /// Search an export for any identifying value of its inputs; exit 1 on any finding.
    Verify(verify::VerifyArgs),
    /// Combine the reports of the shards of one batch (`batch --shard K/N`) into one report
    /// and manifest with totals; refuses a missing or duplicated shard.
    Merge(merge::MergeArgs),
}
