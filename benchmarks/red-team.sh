#!/bin/sh
# Regenerates scenarios/red-team/: the campaign that got the most past each target detector,
# kept as a hard scenario for the zoo (docs/red-team.md). Run from the repository root:
#
#     sh benchmarks/red-team.sh
#
# Each search starts from the bundled quickstart at half scale over four hours (the campaign
# starts at 1 h), pays 5 USD per account (so a banned account costs its replacement) out of
# 150 USD, and tries 40 campaigns (Optuna TPE, sampler seed 0) in batches of 2 (--jobs is part
# of the result: the sampler is asked a batch at a time). Deterministic: the same command
# writes the same files. About five minutes a detector on two cores. The searches' own
# outputs (history, report section) go to results/red-team-zoo/. Then run the zoo on them:
#
#     extractbench run --suite scenarios/suites/red-team.yaml --out results/red-team-zoo/run
set -eu
EXTRACTBENCH=${EXTRACTBENCH:-extractbench}
for detector in capability templates; do
    nice -n 10 "$EXTRACTBENCH" red-team scenarios/quickstart.yaml --detector "$detector" \
        --set 'campaigns[0].budget.per_account=5' --budget 150 --objective leakage \
        --trials 40 --seed 0 --seeds 1 --scale 0.5 --duration 4h --jobs 2 --keep 3 \
        --out "results/red-team-zoo/search-$detector" --zoo scenarios/red-team
done
