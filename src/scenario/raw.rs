//! The scenario file as written: every key optional and kept with its position.

use super::error::{line_column, ScenarioError};
use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScenario {
    pub name: Option<Spanned<String>>,
    pub description: Option<Spanned<String>>,
    pub seed: Option<Spanned<i64>>,
    pub backends: Option<Spanned<Vec<Spanned<String>>>>,
    pub scale: Option<Spanned<Vec<Spanned<i64>>>>,
    pub endpoints_per_service: Option<Spanned<i64>>,
    pub repetitions: Option<Spanned<i64>>,
    pub warmup: Option<Spanned<i64>>,
    pub op_budget: Option<Spanned<String>>,
    pub min_samples: Option<Spanned<i64>>,
    pub step_timeout: Option<Spanned<String>>,
    pub cumulative: Option<Spanned<RawCumulative>>,
    pub datapath: Option<Spanned<RawDatapath>>,
    pub disruption: Option<Spanned<RawDisruption>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDatapath {
    pub enabled: Option<Spanned<bool>>,
    pub sample: Option<Spanned<i64>>,
    pub latency_samples: Option<Spanned<i64>>,
    pub timeout: Option<Spanned<String>>,
    pub first_packet: Option<Spanned<i64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDisruption {
    pub enabled: Option<Spanned<bool>>,
    pub rounds: Option<Spanned<i64>>,
    pub duration: Option<Spanned<String>>,
    pub interval: Option<Spanned<String>>,
    pub long_lived: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCumulative {
    pub enabled: Option<Spanned<bool>>,
    pub budget: Option<Spanned<String>>,
    pub max_services: Option<Spanned<i64>>,
}

pub(super) fn parse(text: &str, file: &str) -> Result<RawScenario, ScenarioError> {
    toml::from_str(text).map_err(|e| {
        let (line, column) = e
            .span()
            .map_or((1, 1), |span| line_column(text, span.start));
        let message = e.message().to_string();
        let hint = if message.contains("unknown field") {
            Some(
                "valid keys: name, description, seed, backends, scale, endpoints_per_service, \
                 repetitions, warmup, op_budget, min_samples, step_timeout, [cumulative] enabled/budget/max_services, \
                 [datapath] enabled/sample/latency_samples/timeout/first_packet, \
                 [disruption] enabled/rounds/duration/interval/long_lived"
                    .to_string(),
            )
        } else {
            Some("see scenarios/quick.toml for a complete example".to_string())
        };
        ScenarioError::Invalid {
            file: file.to_string(),
            line,
            column,
            message,
            hint,
        }
    })
}
