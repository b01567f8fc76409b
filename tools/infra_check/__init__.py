"""Offline checks of infra/ (Terraform) that `make lint` runs; no terraform binary, provider or
cloud access is needed, so they run anywhere the package registries do.

1. Every ``*.tf`` file and ``terraform.tfvars.example`` parses (python-hcl2).
2. Formatting is what ``terraform fmt`` writes: two-space indentation per bracket level, ``=``
   aligned across consecutive one-line attributes, trailing comments aligned, single spaces,
   no tabs, no trailing whitespace, a final newline (the rules of hclwrite's formatter).
3. Every Firestore query that filters on more than one field (``COMPOSITE_QUERIES`` in
   shared/store/layout.py) has a ``google_firestore_index`` on the same collection group with
   the same fields in the same order, and every declared index serves such a query.
4. IAM grants are exactly the least-privilege table below (``EXPECTED_GRANTS``): a grant that is
   added, broadened, moved to another identity or stripped of its condition fails, and so does
   a function that runs as a different identity than ``FUNCTION_IDENTITIES`` says.
5. OIDC audiences match the URLs called (Cloud Run rejects any other audience), private
   functions accept internal traffic only, and the code's task URLs are the functions' URLs;
   the CSV packages and staging buckets are private, unversioned and expire (30 and 7 days),
   and csv_landed's Eventarc trigger hears the packages bucket as tasks_invoker, with retries.
6. Every API a resource needs is enabled in apis.tf; the google provider is pinned exactly.
7. Every ``#checkov:skip=CHECK:reason`` carries its reason.

    python -m tools.infra_check [--infra DIR]

One module per concern: design.py (the least-privilege table), config.py (parsing),
hcl_lines.py (each line's brackets, `=` and comment, for formatting.py), formatting.py,
indexes.py, iam.py, routing.py, pins.py, and checks.py (all of them, and the command line).

checkov itself runs beside this in `make lint` (its own virtual environment, .venv-infra).
"""
