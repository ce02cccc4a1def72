"""Validating a policy file: every problem found, each naming the file, the rule and the fault.

Problems are collected, never raised one at a time, so an agency fixes its file in one pass.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import yaml
from pydantic import ValidationError

from service.policy.document import Action, Condition, PolicyDocument, Rule, Threshold
from service.policy.problems import PolicyProblem
from service.policy.reachability import shadowed_rules

MAX_BACKUP_LEVEL = 3


MAX_VALUES = 50_000  # after alias expansion; the default policy has about 1,000


def read_yaml(text: str, source: str) -> tuple[Any, list[PolicyProblem]]:
    """Parse YAML; a syntax error, or a document that aliases blow up, becomes a problem."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        return None, [PolicyProblem(source, None, f"not valid YAML{where}: {problem}")]
    except RecursionError:
        return None, [PolicyProblem(source, None, "not valid YAML: nested too deeply")]
    if _exceeds(raw, MAX_VALUES):
        message = (
            f"more than {MAX_VALUES} values once YAML aliases are expanded (or self-referential)"
        )
        return None, [PolicyProblem(source, None, message)]
    return raw, []


def _exceeds(raw: Any, budget: int) -> bool:
    """True when walking ``raw`` visits more than ``budget`` values (stops early; cycles too)."""
    stack, seen = [raw], 0
    while stack:
        value = stack.pop()
        seen += 1
        if seen > budget:
            return True
        if isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


def check_document(raw: Any, source: str) -> tuple[PolicyDocument | None, list[PolicyProblem]]:
    """Validate a parsed YAML document; return the model (if structurally sound) and problems."""
    if not isinstance(raw, dict):
        kind = "empty" if raw is None else type(raw).__name__
        return None, [PolicyProblem(source, None, f"expected a mapping at top level, got {kind}")]
    try:
        doc = PolicyDocument.model_validate(raw)
    except ValidationError as exc:
        return None, _structural(exc, raw, source) + _partial_semantics(raw, source)
    return doc, SemanticChecks(doc, source).run()


def _structural(exc: ValidationError, raw: dict[str, Any], source: str) -> list[PolicyProblem]:
    problems = []
    for err in exc.errors():
        loc = list(err["loc"])
        rule, rest = _locate(loc, raw)
        path = ".".join(str(part) for part in rest)
        if err["type"] == "extra_forbidden":
            message = f"unknown key '{path}'"
        elif err["type"] == "missing" and loc == ["default"]:
            rule, message = None, "missing 'default' (the action taken when no rule matches)"
        elif err["type"] == "missing":
            message = f"missing required key '{path}'"
        else:
            message = f"{path}: {err['msg']}" if path else err["msg"]
        problems.append(PolicyProblem(source, rule, message))
    return problems


def _locate(loc: list[Any], raw: dict[str, Any]) -> tuple[str | None, list[Any]]:
    """Turn a pydantic location into (rule name, path inside the rule)."""
    if len(loc) >= 2 and loc[0] in {"rules", "reviews"} and isinstance(loc[1], int):
        items = raw.get(loc[0])
        item = items[loc[1]] if isinstance(items, list) and loc[1] < len(items) else None
        name = item.get("name") if isinstance(item, dict) else None
        label = str(name) if name else f"{loc[0]}[{loc[1]}]"
        return (label if loc[0] == "rules" else f"review {label}"), loc[2:]
    if loc and loc[0] == "default":
        return "default", loc[1:]
    return None, loc


def _partial_semantics(raw: dict[str, Any], source: str) -> list[PolicyProblem]:
    """Semantic checks on the rules that did parse, so one typo does not hide other faults."""
    modes = raw.get("modes") if isinstance(raw.get("modes"), dict) else None
    lists = raw.get("phrase_lists") if isinstance(raw.get("phrase_lists"), dict) else {}
    rules: list[Rule] = []
    items = raw.get("rules")
    for item in items if isinstance(items, list) else []:
        try:
            rules.append(Rule.model_validate(item))
        except ValidationError:
            continue
    checks = SemanticChecks(None, source, modes=modes, phrase_lists=lists)
    for rule in rules:
        checks.check_rule(rule)
    checks.check_names([r.name for r in rules], "rule")
    # Sound on a subset: a rule that did not parse can only hide shadowing, never invent it.
    phrases = {k: v for k, v in checks.phrase_lists.items() if isinstance(v, list)}
    for found in shadowed_rules(rules, phrases):
        checks.error(found.rule, found.message)
    return checks.problems


class SemanticChecks:
    """Checks that need more than one key: modes, thresholds, contradictions, reachability."""

    def __init__(
        self,
        doc: PolicyDocument | None,
        source: str,
        *,
        modes: dict[str, Any] | None = None,
        phrase_lists: dict[str, Any] | None = None,
    ) -> None:
        self.doc = doc
        self.source = source
        self.modes = dict(doc.modes) if doc else modes
        self.phrase_lists = dict(doc.phrase_lists) if doc else (phrase_lists or {})
        self.problems: list[PolicyProblem] = []

    def error(self, rule: str | None, message: str) -> None:
        """Record an error."""
        self.problems.append(PolicyProblem(self.source, rule, message))

    def warn(self, rule: str | None, message: str) -> None:
        """Record a warning (the policy is still usable)."""
        self.problems.append(PolicyProblem(self.source, rule, message, "warning"))

    def run(self) -> list[PolicyProblem]:
        """Run every check on the whole document."""
        assert self.doc is not None
        doc = self.doc
        self._check_header(doc)
        for rule in doc.rules:
            self.check_rule(rule)
        self.check_action("default", doc.default)
        self.check_names([r.name for r in doc.rules], "rule")
        self.check_names([r.name for r in doc.reviews], "review")
        self._check_reviews(doc)
        self._check_reachability(doc)
        self._check_unused(doc)
        return self.problems

    def _check_header(self, doc: PolicyDocument) -> None:
        if not doc.version.strip():
            self.error(None, "version is empty")
        if not doc.modes:
            self.error(None, "modes: at least one response mode must be defined")
        for mode, who in doc.modes.items():
            if not who.strip():
                self.error(None, f"modes.{mode}: describe who goes")
        for tag, band in doc.uncertainty.bands.items():
            self.check_threshold(None, f"uncertainty.bands.{tag}", band)
        for name, phrases in doc.phrase_lists.items():
            if not phrases:
                self.error(None, f"phrase_lists.{name} is empty")
            if any(not p.strip() for p in phrases):
                self.error(None, f"phrase_lists.{name} contains an empty phrase")
        if not doc.rules:
            self.warn(None, "rules is empty: every call gets the default")

    def check_rule(self, rule: Rule) -> None:
        """Checks of one rule on its own."""
        if not rule.name.strip():
            self.error(rule.name, "rule name is empty")
        self.check_condition(rule.name, "when", rule.when)
        self.check_action(rule.name, rule.then)

    def check_action(self, rule: str, action: Action) -> None:
        """Mode defined, backup in range, review flag and reason consistent."""
        where = "then" if rule != "default" else "default"
        if self.modes is not None and action.response_mode not in self.modes:
            self.error(
                rule,
                f"{where}.response_mode '{action.response_mode}' is not defined "
                f"in modes ({', '.join(sorted(self.modes))})",
            )
        if not 0 <= action.backup_level <= MAX_BACKUP_LEVEL:
            self.error(rule, f"{where}.backup_level {action.backup_level} is out of range 0–3")
        if action.needs_review and not (action.review_reason or "").strip():
            self.error(rule, f"{where}.needs_review is true but review_reason is missing")
        if action.review_reason and not action.needs_review:
            self.error(rule, f"{where}.review_reason is given but needs_review is not true")
        if any(not line.strip() for line in action.guidance):
            self.error(rule, f"{where}.guidance contains an empty line")

    def check_threshold(self, rule: str | None, path: str, threshold: Threshold) -> None:
        """Bounds inside 0..1 and in order."""
        if threshold.ge is None and threshold.le is None:
            self.error(rule, f"{path}: give ge, le or both")
        for key in ("ge", "le"):
            value = getattr(threshold, key)
            if value is not None and not 0.0 <= value <= 1.0:
                self.error(rule, f"{path}.{key} = {value} is outside 0..1 (probabilities)")
        if threshold.ge is not None and threshold.le is not None and threshold.ge > threshold.le:
            self.error(rule, f"{path}: ge {threshold.ge} > le {threshold.le}, never matches")

    def check_condition(self, rule: str, path: str, cond: Condition) -> None:
        """Thresholds, empty lists, unknown phrase lists and contradictions, recursively."""
        for key in (
            "present",
            "absent",
            "possible",
            "uncertain",
            "call_type_in",
            "note_contains_any",
            "note_mentions",
            "all_of",
            "any_of",
        ):
            value = getattr(cond, key)
            label = key.removesuffix("_of")
            if value is not None and not value:
                self.error(rule, f"{path}.{label} is an empty list")
            if key in {"call_type_in", "note_contains_any"} and value:
                if any(not str(v).strip() for v in value):
                    self.error(rule, f"{path}.{label} contains an empty entry")
        for tag, threshold in (cond.probability or {}).items():
            self.check_threshold(rule, f"{path}.probability.{tag}", threshold)
        for name in cond.note_mentions or []:
            if name not in self.phrase_lists:
                self.error(
                    rule,
                    f"{path}.note_mentions: phrase list '{name}' is not defined in phrase_lists",
                )
        self._check_contradictions(rule, path, cond)
        for i, part in enumerate(cond.all_of or []):
            self.check_condition(rule, f"{path}.all[{i}]", part)
        for i, part in enumerate(cond.any_of or []):
            self.check_condition(rule, f"{path}.any[{i}]", part)
        if cond.not_ is not None:
            self.check_condition(rule, f"{path}.not", cond.not_)

    def _check_contradictions(self, rule: str, path: str, cond: Condition) -> None:
        present = set(cond.present or []) | {t for c in cond.all_of or [] for t in c.present or []}
        absent = set(cond.absent or []) | {t for c in cond.all_of or [] for t in c.absent or []}
        for tag in sorted(present & absent):
            self.error(rule, f"{path}: '{tag}' is required both present and absent, never matches")
        if "routine" in present and present - {"routine"}:
            others = ", ".join(sorted(present - {"routine"}))
            self.error(
                rule,
                f"{path}: routine is present only when no other tag is, but "
                f"{others} is also required present; never matches",
            )
        if cond.not_ is not None and cond.not_.is_empty():
            self.error(rule, f"{path}.not: negates an empty condition, never matches")

    def check_names(self, names: list[str], kind: str) -> None:
        """Rule (or review) names must be unique."""
        for name, count in Counter(names).items():
            if count > 1:
                label = name if kind == "rule" else f"review {name}"
                self.error(label, f"{kind} name '{name}' is used {count} times")

    def _check_reviews(self, doc: PolicyDocument) -> None:
        for check in doc.reviews:
            label = f"review {check.name}"
            for mode in check.modes or []:
                if mode not in doc.modes:
                    self.error(label, f"modes: '{mode}' is not defined in modes")
            if not check.reason.strip():
                self.error(label, "reason is empty")
            self.check_condition(label, "when", check.when)
            if check.when.is_empty() and not check.modes:
                self.warn(label, "matches every call: every recommendation would need review")

    def _check_reachability(self, doc: PolicyDocument) -> None:
        for found in shadowed_rules(doc.rules, doc.phrase_lists):
            self.error(found.rule, found.message)
        always = next((r for r in doc.rules if r.when.is_empty()), None)
        if always is not None:
            self.warn("default", f"never used: rule '{always.name}' has no conditions")

    def _check_unused(self, doc: PolicyDocument) -> None:
        used = {r.then.response_mode for r in doc.rules} | {doc.default.response_mode}
        for mode in doc.modes:
            if mode not in used:
                self.warn(None, f"mode '{mode}' is defined but no rule uses it")
        mentioned = _mentioned_lists([r.when for r in doc.rules] + [c.when for c in doc.reviews])
        for name in doc.phrase_lists:
            if name not in mentioned:
                self.warn(None, f"phrase list '{name}' is defined but never used")


def _mentioned_lists(conditions: list[Condition]) -> set[str]:
    names: set[str] = set()
    for cond in conditions:
        names |= set(cond.note_mentions or [])
        nested = list(cond.all_of or []) + list(cond.any_of or [])
        nested += [cond.not_] if cond.not_ is not None else []
        names |= _mentioned_lists(nested)
    return names
