"""Packet definitions for tests: valid against the mini fixture library (tests/fixtures/checklists/mini)."""

MINI_IBC = """\
kind: ibc
title: Biosafety review packet
audience: Institutional Biosafety Committee
cover_text: The vector handling items of this program, for the committee's review.
signoff_roles: [policy_lead]
include:
  areas: [policy]
  items: [PHARM-001]
decisions:
  - Register the program's use of AAV vectors.
"""
