#!/usr/bin/env python3
"""Validates FHIR R4 resources with fhir.resources (an independent validator:
pydantic models generated from the R4 StructureDefinitions; 6.x is R4).

Usage: fhir_validate.py FILE.json...  Each file holds one resource or a JSON
array of resources. Prints one line per resource; exits 1 on any error, 2 on
bad usage."""
import json
import sys

from fhir.resources import construct_fhir_element
import fhir.resources


def resources(path):
    with open(path, encoding="utf-8") as f:
        value = json.load(f)
    return value if isinstance(value, list) else [value]


def main(paths):
    if not paths:
        print("usage: fhir_validate.py FILE.json...", file=sys.stderr)
        return 2
    errors = 0
    count = 0
    for path in paths:
        for r in resources(path):
            count += 1
            kind = r.get("resourceType", "?")
            name = f"{kind}/{r.get('id', '?')}"
            try:
                construct_fhir_element(kind, r)
            except Exception as e:  # pydantic.ValidationError and friends
                errors += 1
                print(f"INVALID {name}: {e}")
                continue
            print(f"valid {name}")
    print(f"fhir.resources {fhir.resources.__version__} (FHIR {fhir.resources.__fhir_version__}): "
          f"{count} resource(s), {errors} invalid")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
