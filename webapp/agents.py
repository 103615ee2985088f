"""Agent accounts: creating them (the create-agent command), password rules, demo agents."""

import re

import click
from peewee import IntegrityError

from webapp import audit, sign_in
from webapp.extensions import db
from webapp.models import Agent

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,39}")
CHARACTER_CLASSES = (str.islower, str.isupper, str.isdigit)

DEMO_PASSWORD = "Agent-Demo-2026"  # noqa: S105 (the README documents it; demo data only)
# username, display name, role
DEMO_AGENTS = [
    ("agent.li", "李晓明", Agent.AGENT),
    ("supervisor.wu", "吴敏", Agent.SUPERVISOR),
]


class Refused(ValueError):
    """The account was not created; problems lists why, in words for the operator."""

    def __init__(self, problems):
        super().__init__("; ".join(problems))
        self.problems = problems


def password_problems(username, password):
    """Why a password is too weak for an agent (an empty list when it is strong enough)."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"use at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(f"use at most {MAX_PASSWORD_LENGTH} characters")
    classes = {i for ch in password for i, test in enumerate(CHARACTER_CLASSES) if test(ch)}
    others = any(not any(test(ch) for test in CHARACTER_CLASSES) for ch in password)
    if len(classes) + others < 2:
        problems.append("mix letters, digits or symbols: not all of one kind")
    if username and username.lower() in password.lower():
        problems.append("do not put the username in the password")
    return problems


def create(username, *, role, password, display_name=None):
    """A new agent with a hashed password; raises Refused with every problem found."""
    username = (username or "").strip().lower()
    problems = []
    if not USERNAME.fullmatch(username):
        problems.append(
            "a username is 3-40 lower-case letters, digits, dots, dashes or underscores"
        )
    if role not in Agent.ROLES:
        problems.append(f"the role is one of: {', '.join(Agent.ROLES)}")
    problems += password_problems(username, password)
    name = username if display_name is None else " ".join(display_name.split())
    if not name or len(name) > 40 or not name.isprintable():
        problems.append("a name is 1-40 printable characters")
    if problems:
        raise Refused(problems)
    try:
        with db.database.atomic():
            agent = Agent.create(
                username=username,
                password_hash=sign_in.hash_password(password),
                display_name=name,
                role=role,
            )
            audit.record("agent.created", subject=f"agent:{agent.id}", role=role)
    except IntegrityError:
        raise Refused([f"an agent called {username} already exists"]) from None
    return agent


def seed_demo():
    """Create the demo agent and supervisor that do not exist yet; returns how many were new."""
    existing = {a.username for a in Agent.select(Agent.username)}
    missing = [agent for agent in DEMO_AGENTS if agent[0] not in existing]
    if not missing:
        return 0
    # One slow hash for all of them: the demo agents share a password, as the customers do.
    password_hash = sign_in.hash_password(DEMO_PASSWORD)
    with db.database.atomic():
        for username, display_name, role in missing:
            Agent.create(
                username=username, password_hash=password_hash, display_name=display_name, role=role
            )
    return len(missing)


@click.command("create-agent")
@click.argument("username")
@click.option("--role", type=click.Choice(Agent.ROLES), default=Agent.AGENT, show_default=True)
@click.option("--name", "display_name", help="The name customers' records show for this agent.")
@click.password_option(help="Asked for twice when not given.")
def create_agent_command(username, role, display_name, password):
    """Create a customer-service agent (or supervisor) account."""
    try:
        agent = create(username, role=role, password=password, display_name=display_name)
    except Refused as refused:
        for problem in refused.problems:
            click.echo(f"- {problem}", err=True)
        raise click.ClickException("No agent was created; fix the problems above.") from None
    click.echo(f"Created {agent.role} {agent.username}.")
