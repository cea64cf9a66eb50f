"""`python -m analysis.health`: the readiness check the container's entry point runs (checks in
ops/health)."""
from analysis.ops.health import main

if __name__ == "__main__":
    raise SystemExit(main())
