//! Admin commands on the database.

use std::io::Write;

use protocol::PhoneNumber;

use super::{AgentCommand, Command, ContactOwnerCommand, ConversationCommand, RoleArg};
use crate::config::Settings;
use crate::store::agents::{AgentError, Role};
use crate::store::audit::Actor;
use crate::store::time::now_ms;
use crate::store::wire::timestamp;
use crate::store::{Store, StoreError};

/// Why an admin command failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Agent(#[from] AgentError),
    #[error("no agent named {0:?}")]
    NoSuchAgent(String),
    #[error("customer {0:?} is not a WhatsApp number: {1}")]
    BadCustomer(String, protocol::ValueError),
    #[error(
        "no --number given and no business number is configured to create the conversation on"
    )]
    NoNumber,
    #[error("cannot write to stdout: {0}")]
    Output(#[from] std::io::Error),
    #[error("`serve` is not an admin command")]
    NotAdmin,
}

/// Runs one admin command against the configured database, writing its report to `out`.
pub async fn run_admin(
    settings: &Settings,
    command: Command,
    out: &mut impl Write,
) -> Result<(), AdminError> {
    let store = Store::open(&settings.database_url).await?;
    let result = run(&store, settings, command, out).await;
    store.close().await;
    result
}

async fn run(
    store: &Store,
    settings: &Settings,
    command: Command,
    out: &mut impl Write,
) -> Result<(), AdminError> {
    match command {
        Command::Serve => Err(AdminError::NotAdmin),
        Command::Agent(AgentCommand::Add { name, role, team }) => {
            let role = match role {
                RoleArg::Agent => Role::Agent,
                RoleArg::Supervisor => Role::Supervisor,
                RoleArg::Admin => Role::Admin,
            };
            let (agent, token) = store.add_agent(&name, role, team.as_deref()).await?;
            writeln!(
                out,
                "added agent {} (id {}, role {}, team {})",
                agent.name,
                agent.id,
                agent.role.as_str(),
                agent.team.as_deref().unwrap_or("-")
            )?;
            writeln!(out, "token (shown once, store it now):")?;
            writeln!(out, "{token}")?;
            Ok(())
        }
        Command::Agent(AgentCommand::List) => {
            for agent in store.list_agents().await? {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}",
                    agent.name,
                    agent.id,
                    agent.role.as_str(),
                    agent.team.as_deref().unwrap_or("-"),
                    if agent.revoked_at.is_some() {
                        "revoked"
                    } else {
                        "active"
                    }
                )?;
            }
            Ok(())
        }
        Command::Agent(AgentCommand::Rotate {
            name,
            expires_in_days,
        }) => {
            let agent = store
                .agent_by_name(&name)
                .await?
                .ok_or_else(|| AdminError::NoSuchAgent(name.clone()))?;
            let expires = expires_in_days.map(|days| now_ms() + i64::from(days) * 86_400_000);
            let (record, token) = store
                .rotate_token(&Actor::command_line(), &agent.id, expires)
                .await?;
            writeln!(
                out,
                "new token for agent {} (id {}, expires {})",
                record.name,
                record.id,
                record
                    .token_expires_at
                    .map(|at| timestamp(at).to_rfc3339())
                    .unwrap_or_else(|| "never".into())
            )?;
            writeln!(
                out,
                "token (shown once, store it now; the old one no longer works):"
            )?;
            writeln!(out, "{token}")?;
            Ok(())
        }
        Command::Agent(AgentCommand::Revoke { name }) => {
            let agent = store.revoke_agent(&name).await?;
            writeln!(out, "revoked agent {} ({})", agent.name, agent.id)?;
            Ok(())
        }
        Command::Conversation(ConversationCommand::Assign {
            customer,
            agent,
            number,
        }) => {
            let customer = customer_number(&customer)?;
            let agent = store
                .agent_by_name(&agent)
                .await?
                .ok_or_else(|| AdminError::NoSuchAgent(agent.clone()))?;
            let numbers = match number {
                Some(number) => vec![number],
                None => {
                    let existing = store.conversation_numbers(&customer).await?;
                    if existing.is_empty() {
                        let first = settings.numbers.first().ok_or(AdminError::NoNumber)?;
                        vec![first.phone_number_id.clone()]
                    } else {
                        existing
                    }
                }
            };
            for number in numbers {
                store
                    .assign_conversation(&number, &customer, &agent.id)
                    .await?;
                writeln!(
                    out,
                    "conversation {number}/{customer} assigned to {}",
                    agent.name
                )?;
            }
            Ok(())
        }
        Command::ContactOwner(ContactOwnerCommand::Set { customer, agent }) => {
            let customer = customer_number(&customer)?;
            let agent = store
                .agent_by_name(&agent)
                .await?
                .ok_or_else(|| AdminError::NoSuchAgent(agent.clone()))?;
            store.set_contact_owner(&customer, &agent.id).await?;
            writeln!(out, "contact {customer} owned by {}", agent.name)?;
            Ok(())
        }
    }
}

/// The customer's number as stored: digits only.
fn customer_number(text: &str) -> Result<String, AdminError> {
    PhoneNumber::new(text)
        .map(|number| number.as_str().to_owned())
        .map_err(|error| AdminError::BadCustomer(text.to_owned(), error))
}
