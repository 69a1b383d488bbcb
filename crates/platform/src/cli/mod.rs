//! The `ringdesk-platform` command line: `serve`, and admin commands that work on the database
//! directly (`agent add|list|revoke`, `conversation assign`, `contact-owner set`).
//!
//! Admin commands print what they did to stdout; `agent add` prints the new token as the last
//! line, alone, so scripts can take it with `tail -n1`. Errors go to stderr with the reason.

mod admin;

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

pub use admin::{run_admin, AdminError};

#[derive(Debug, Parser)]
#[command(
    name = "ringdesk-platform",
    version,
    about = "Ringdesk contact-center server"
)]
pub struct Cli {
    /// TOML settings file; RINGDESK_* environment variables override it.
    #[arg(long, global = true, env = "RINGDESK_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve,
    /// Manage agents and their tokens.
    #[command(subcommand)]
    Agent(AgentCommand),
    /// Manage conversations.
    #[command(subcommand)]
    Conversation(ConversationCommand),
    /// Manage contact owners.
    #[command(subcommand, name = "contact-owner")]
    ContactOwner(ContactOwnerCommand),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    Agent,
    Supervisor,
    Admin,
}

#[derive(Debug, Subcommand)]
pub enum AgentCommand {
    /// Create an agent; prints its token as the last line (shown only once).
    Add {
        #[arg(long)]
        name: String,
        #[arg(long, value_enum, default_value = "agent")]
        role: RoleArg,
        #[arg(long)]
        team: Option<String>,
    },
    /// List agents.
    List,
    /// Revoke an agent's token.
    Revoke {
        #[arg(long)]
        name: String,
    },
    /// Give an agent a new token (the old one stops; a revoked agent is reinstated); prints it
    /// as the last line (shown only once). The agent keeps their history and assignments.
    Rotate {
        #[arg(long)]
        name: String,
        /// The new token expires after this many days (default: never).
        #[arg(long)]
        expires_in_days: Option<u32>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConversationCommand {
    /// Assign the customer's conversation(s) to an agent.
    Assign {
        /// The customer's WhatsApp number (wa_id).
        #[arg(long)]
        customer: String,
        #[arg(long)]
        agent: String,
        /// The business number's Graph id; default: every conversation of the customer, or the
        /// first configured number if there is none yet.
        #[arg(long)]
        number: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ContactOwnerCommand {
    /// Make an agent the owner of the customer's contact.
    Set {
        #[arg(long)]
        customer: String,
        #[arg(long)]
        agent: String,
    },
}
