"""flask create-agent: asks for the password twice, refuses weak ones, and the agent can sign in."""

import pytest

from tests.test_agent_console import agent_log_in
from webapp import agents
from webapp.models import Agent, AuditEvent

pytestmark = pytest.mark.database

STRONG = "Quiet-River-2049"


def create_agent(app, *args, password=STRONG, again=None):
    """Run the command, typing the password and its confirmation at the prompts."""
    typed = f"{password}\n{password if again is None else again}\n"
    return app.test_cli_runner().invoke(args=["create-agent", *args], input=typed)


def test_create_agent_makes_an_agent_who_can_sign_in(app, client, db_conn):
    result = create_agent(app, "Zhou.Qi", "--role", "supervisor", "--name", "周琪")
    assert result.exit_code == 0, result.output
    assert "Created supervisor zhou.qi." in result.output
    assert STRONG not in result.output
    made = Agent.get(Agent.username == "zhou.qi")
    assert (made.role, made.display_name) == ("supervisor", "周琪")
    assert made.password_hash.startswith("scrypt:") and STRONG not in made.password_hash
    assert AuditEvent.get(AuditEvent.action == "agent.created").details == {"role": "supervisor"}
    assert agent_log_in(client, "zhou.qi", STRONG).status_code == 303
    assert client.get("/agent/access-log").status_code == 200


def test_the_role_defaults_to_agent(app, db_conn):
    assert create_agent(app, "zhou.qi").exit_code == 0
    assert Agent.get(Agent.username == "zhou.qi").role == "agent"


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("Short-1", "at least 12 characters"),
        ("abcdefghijklmnop", "not all of one kind"),
        ("1234567890123456", "not all of one kind"),
        ("!!!!!!!!!!!!!!!!", "not all of one kind"),
        ("my-zhou.qi-Pass-9", "do not put the username in the password"),
        ("x" * 129 + "A1", "at most 128 characters"),
    ],
)
def test_weak_passwords_are_refused(app, db_conn, password, problem):
    result = create_agent(app, "zhou.qi", password=password)
    assert result.exit_code != 0
    assert problem in result.output and "No agent was created" in result.output
    assert Agent.get_or_none(Agent.username == "zhou.qi") is None


def test_the_password_is_asked_twice_and_must_match(app, db_conn):
    typed = f"{STRONG}\nsomething-else-42\n{STRONG}\n{STRONG}\n"
    result = app.test_cli_runner().invoke(args=["create-agent", "zhou.qi"], input=typed)
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output.lower()
    assert Agent.get_or_none(Agent.username == "zhou.qi") is not None


def test_an_existing_username_is_refused(app, db_conn):
    result = create_agent(app, "agent.li")
    assert result.exit_code != 0 and "already exists" in result.output
    assert Agent.select().where(Agent.username == "agent.li").count() == 1


@pytest.mark.parametrize("username", ["x", "has space", "中文名", "a" * 41])
def test_a_bad_username_is_refused(app, db_conn, username):
    result = create_agent(app, username)
    assert result.exit_code != 0 and "a username is" in result.output


@pytest.mark.parametrize("name", ["   ", "周\x07琪", "周" * 41])
def test_a_blank_unprintable_or_long_name_is_refused(app, db_conn, name):
    result = create_agent(app, "zhou.qi", "--name", name)
    assert result.exit_code != 0 and "a name is 1-40 printable characters" in result.output
    assert Agent.get_or_none(Agent.username == "zhou.qi") is None


def test_a_name_is_kept_with_its_spaces_tidied(app, db_conn):
    assert create_agent(app, "zhou.qi", "--name", "  Zhou   Qi ").exit_code == 0
    assert Agent.get(Agent.username == "zhou.qi").display_name == "Zhou Qi"


def test_an_unknown_role_is_refused(app, db_conn):
    result = create_agent(app, "zhou.qi", "--role", "admin")
    assert result.exit_code != 0
    assert Agent.get_or_none(Agent.username == "zhou.qi") is None


def test_the_demo_agents_exist_once_with_the_documented_password(app, client, db_conn):
    with app.app_context():
        assert agents.seed_demo() == 0
    usernames = sorted(a.username for a in Agent.select())
    assert usernames == ["agent.li", "supervisor.wu"]
    assert not agents.password_problems("agent.li", agents.DEMO_PASSWORD)
    assert agent_log_in(client, "supervisor.wu").status_code == 303


def test_the_readme_lists_the_demo_agents_and_the_command():
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    for needed in ("agent.li", "supervisor.wu", agents.DEMO_PASSWORD, "flask create-agent"):
        assert needed in readme, needed
