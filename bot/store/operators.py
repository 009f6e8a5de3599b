"""Operators and department staff: accounts, password hashes, web sessions.

Passwords are hashed with scrypt (memory-hard, in the standard library) and a per-password salt.
Session tokens are random; only their SHA-256 is stored, so a copy of the database does not let
anyone sign in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Sequence, Tuple

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.errors import QueueError
from bot.intents import DEPARTMENTS
from bot.store.tables import ROLES, operator_departments, operators, web_sessions

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
SESSION_HOURS = 12


@dataclass(frozen=True)
class Operator:
    name: str
    role: str
    departments: Tuple[str, ...]

    def can_see(self, department: str | None) -> bool:
        return self.role == "operator" or department in self.departments

    @property
    def visible_departments(self) -> Tuple[str, ...]:
        return DEPARTMENTS if self.role == "operator" else self.departments


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p))
    return hmac.compare_digest(candidate.hex(), digest)


def add(factory: sessionmaker[Session], name: str, password: str, departments: Sequence[str] = (),
        role: str = "member") -> Operator:
    if role not in ROLES:
        raise QueueError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    unknown = [d for d in departments if d not in DEPARTMENTS]
    if unknown:
        raise QueueError(f"unknown department {unknown[0]!r}: use one of {', '.join(DEPARTMENTS)}")
    if role == "member" and not departments:
        raise QueueError("a member needs at least one --department (or use --role operator)")
    if len(password) < 8:
        raise QueueError("password too short: use at least 8 characters")
    try:
        with factory.begin() as session:
            session.execute(insert(operators).values(name=name, password_hash=hash_password(password), role=role,
                                                     created_at=datetime.now(timezone.utc)))
            for department in dict.fromkeys(departments):
                session.execute(insert(operator_departments).values(operator=name, department=department))
    except IntegrityError as exc:
        raise QueueError(f"operator {name!r} already exists") from exc
    return Operator(name, role, tuple(dict.fromkeys(departments)))


def get(factory: sessionmaker[Session], name: str) -> Operator:
    with factory() as session:
        row = session.execute(select(operators).where(operators.c.name == name, operators.c.active == 1)).first()
        if row is None:
            raise QueueError(f"no operator named {name!r}: add one with `bot operators add {name} --department ...`")
        depts = session.execute(select(operator_departments.c.department)
                                .where(operator_departments.c.operator == name)).scalars().all()
    return Operator(row.name, row.role, tuple(sorted(depts)))


def authenticate(factory: sessionmaker[Session], name: str, password: str) -> Operator | None:
    with factory() as session:
        stored = session.execute(select(operators.c.password_hash)
                                 .where(operators.c.name == name, operators.c.active == 1)).scalar()
    if stored is None or not check_password(password, stored):
        return None
    return get(factory, name)


def all_operators(factory: sessionmaker[Session]) -> list:
    with factory() as session:
        names = session.execute(select(operators.c.name).order_by(operators.c.name)).scalars().all()
    return [get(factory, n) for n in names]


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(factory: sessionmaker[Session], name: str) -> Tuple[str, str]:
    """A new (session token, CSRF token) pair for a signed-in operator."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = datetime.now(timezone.utc)
    with factory.begin() as session:
        # Sessions past their expiry are useless and hold a hash an attacker could try: purge them.
        session.execute(delete(web_sessions).where(web_sessions.c.expires_at < now))
        session.execute(insert(web_sessions).values(token_hash=_token_hash(token), operator=name, csrf_token=csrf,
                                                    created_at=now, expires_at=now + timedelta(hours=SESSION_HOURS)))
    return token, csrf


def session_operator(factory: sessionmaker[Session], token: str) -> Tuple[Operator, str] | None:
    if not token:
        return None
    with factory() as session:
        row = session.execute(select(web_sessions).where(web_sessions.c.token_hash == _token_hash(token))).first()
    if row is None:
        return None
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=timezone.utc)
    if expires < datetime.now(timezone.utc):
        close_session(factory, token)
        return None
    try:
        return get(factory, row.operator), row.csrf_token
    except QueueError:
        return None


def close_session(factory: sessionmaker[Session], token: str) -> None:
    with factory.begin() as session:
        session.execute(delete(web_sessions).where(web_sessions.c.token_hash == _token_hash(token)))
