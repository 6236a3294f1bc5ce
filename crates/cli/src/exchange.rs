//! `yiwang exchange …`: tools for the land exchange's trading rules.

use clap::Subcommand;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum ExchangeAction {
    /// Runs a scenario (spec/scenario-format.md) on a virtual clock and
    /// prints the outcome as JSON.
    Simulate {
        /// The scenario file.
        file: String,
    },
}

pub fn run(action: ExchangeAction) -> anyhow::Result<ExitCode> {
    match action {
        ExchangeAction::Simulate { file } => {
            let input = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::anyhow!("无法读取场景文件 {file}：{e}"))?;
            match yiwang_exchange::scenario::simulate(&input) {
                Ok(outcome) => {
                    println!("{}", serde_json::to_string(&outcome)?);
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("{file}: {e}");
                    Ok(ExitCode::from(2))
                }
            }
        }
    }
}
