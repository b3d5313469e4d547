"""The typed configuration a batch sends to each of its trusted jobs (one JSON line)."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from course_grader.assignment import Assignment
from course_grader.config import Limits
from course_grader.plan import SandboxPlan


@dataclass(frozen=True)
class JobConfig:
    """What one trusted job needs: the assignment with its hidden tests, the sandbox, the
    limits, whether workers start as fresh interpreters, the batch's private work folder
    (stagings go there), and the job's slot."""

    assignment: Assignment
    plan: SandboxPlan
    limits: Limits
    fresh: bool
    work: str
    slot: int = 0

    def for_slot(self, slot: int) -> JobConfig:
        """The same configuration for another slot."""
        return replace(self, slot=slot)

    def to_json(self) -> str:
        """One line of JSON."""
        return json.dumps(
            {
                "assignment": self.assignment.to_dict(),
                "plan": self.plan.to_dict(),
                "limits": self.limits.to_dict(),
                "fresh": self.fresh,
                "work": self.work,
                "slot": self.slot,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> JobConfig:
        """Rebuild a configuration from :meth:`to_json`'s output."""
        data = json.loads(text)
        return cls(
            Assignment.from_dict(data["assignment"]),
            SandboxPlan.from_dict(data["plan"]),
            Limits.from_dict(data["limits"]),
            bool(data["fresh"]),
            str(data["work"]),
            int(data["slot"]),
        )
