//! What goes wrong with nft, typed, and how it reads in the lab's terms.

use svclab_backend::BackendError;

const INSTALL: &str = "install the Debian package nftables (scripts/setup.sh does)";

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NftError {
    #[error("nft is not installed")]
    NftMissing,

    #[error("nft {found} is older than 1.0.1, which kube-proxy's nftables mode requires")]
    NftTooOld { found: String },

    #[error("kernel {found} is older than 5.13, which kube-proxy's nftables mode requires")]
    KernelTooOld { found: String },

    /// The kernel refused an expression or object type it was not built with (`numgen`,
    /// `masquerade`, `reject`, ...), or nf_tables itself.
    #[error("the kernel lacks {feature} (nft said, at line {line}: {message})")]
    KernelUnsupported {
        feature: String,
        line: u32,
        message: String,
    },

    /// nft refused the transaction; nothing of it was applied.
    #[error("nft rejected line {line} of the transaction while {doing}: {message}: `{command}`")]
    Rejected {
        doing: String,
        line: u32,
        command: String,
        message: String,
    },

    #[error("could not read the table back: {detail}")]
    ReadBack { detail: String },
}

impl From<NftError> for BackendError {
    fn from(e: NftError) -> Self {
        match e {
            NftError::NftMissing => BackendError::ToolMissing {
                tool: "nft".into(),
                fix: INSTALL.into(),
            },
            NftError::NftTooOld { .. } => BackendError::ToolMissing {
                tool: "nft >= 1.0.1".into(),
                fix: format!("{e}; {INSTALL} from Debian 12 or later"),
            },
            NftError::KernelTooOld { .. } => BackendError::KernelFeatureMissing {
                feature: "nf_tables as kube-proxy uses it (kernel 5.13 or later)".into(),
                fix: "use a newer kernel, or the lab VM (svclab vm)".into(),
            },
            NftError::KernelUnsupported { ref feature, .. } => BackendError::KernelFeatureMissing {
                feature: feature.clone(),
                fix: format!(
                    "{e}; use a kernel with CONFIG_NF_TABLES, CONFIG_NFT_NUMGEN, \
                         CONFIG_NFT_NAT, CONFIG_NFT_MASQ, CONFIG_NFT_CT and \
                         CONFIG_NFT_REJECT (or load those modules), or the lab VM"
                ),
            },
            NftError::Rejected {
                doing,
                line,
                command,
                message,
            } => BackendError::ToolFailed {
                tool: "nft".into(),
                doing,
                status: "exit status: 1".into(),
                stderr: format!("line {line}: {message}: `{command}`"),
            },
            NftError::ReadBack { detail } => BackendError::Parse {
                what: "nft --json list table ip kube-proxy".into(),
                detail,
            },
        }
    }
}
