#!/usr/bin/env python3
"""Compare two LookaheadKV adapters with the other policies on the same prompts.

Either one run, `glimpse-cli eval --policies ...,lookahead --compare-adapters OTHER`, whose
rows `lookahead@OTHER` are the other adapter's (`--other-name OTHER`), or, for runs made
before that option, two runs with the same --seed, --tasks, --lengths, --samples, --settings,
--budgets and --response-tokens: the first with every policy and one adapter, the second with
`--policies lookahead --adapter OTHER`. The same seed gives the same prompts and the same
full-cache answers, so the second run's lookahead rows join the first run's. Prints Markdown:
per length and setting, recall / ΔNLL / answers right per budget and the median eviction time;
per task family ΔNLL; and how many cells each adapter wins against SnapKV, LAQ and the other
adapter.

  usage: scripts/compare_adapters.py --runs v2-8k/results.csv --name v2 --other-name v1
         scripts/compare_adapters.py --runs v2-2k/results.csv v2-4k/results.csv \
             --other-runs v1-2k/results.csv v1-4k/results.csv --name v2 --other-name v1
"""
import argparse
import collections
import csv
import math
import statistics

ORDER = ['streaming', 'snapkv', 'pyramidkv', 'h2o', 'laq', 'speckv (oracle: self-draft)']
SETTINGS = ('question-aware', 'context-only')


def number(text):
    return float(text) if text not in ('', None) else math.nan


def mean(values):
    values = [v for v in values if not math.isnan(v)]
    return sum(values) / len(values) if values else math.nan


def read_runs(paths, lookahead_name, keep_others, compared=None):
    """Rows of the runs with lookahead renamed; `compared` maps a lookahead@NAME label to its new name."""
    rows, prompts = [], collections.Counter()
    for path in paths:
        with open(path, newline='') as f:
            for r in csv.DictReader(f):
                if r['policy'] == 'full':
                    prompts[(r['task'], r['length'], r['setting'])] += 1
                    continue
                if r['policy'] == 'lookahead':
                    r['policy'] = lookahead_name
                elif compared and r['policy'] in compared:
                    r['policy'] = compared[r['policy']]
                elif not keep_others:
                    continue
                rows.append(r)
    return rows, prompts


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--runs', nargs='+', required=True, help="results.csv of the runs with every policy")
    parser.add_argument('--other-runs', nargs='+',
                        help="results.csv of the other adapter's runs (default: its lookahead@OTHER-NAME rows in --runs)")
    parser.add_argument('--name', default='new', help="label of the first runs' adapter")
    parser.add_argument('--other-name', default='other', help="label of the other adapter")
    args = parser.parse_args()

    name, other = f'lookahead ({args.name})', f'lookahead ({args.other_name})'
    rows, prompts = read_runs(args.runs, name, keep_others=True, compared={f'lookahead@{args.other_name}': other})
    if args.other_runs:
        other_rows, other_prompts = read_runs(args.other_runs, other, keep_others=False)
        if prompts != other_prompts:
            raise SystemExit('the two sets of runs did not read the same prompts (same --seed, --tasks, --lengths, --samples?)')
        rows += other_rows
    if not any(r['policy'] == other for r in rows):
        raise SystemExit('no rows of the other adapter: pass --other-runs, or --other-name as in lookahead@NAME')
    present = {r['policy'] for r in rows}
    policies = [p for p in ORDER if p in present] + [other, name]
    budgets = sorted({int(r['budget']) for r in rows})

    groups = collections.defaultdict(list)
    for r in rows:
        groups[(int(r['length']), r['setting'], r['task'], r['policy'], int(r['budget']))].append(r)

    def select(length=None, setting=None, task=None, policy=None, budget=None):
        out = []
        for (l, s, t, p, b), rs in groups.items():
            if all(want is None or want == have for want, have in
                   ((length, l), (setting, s), (task, t), (policy, p), (budget, b))):
                out += rs
        return out

    for length in sorted({int(r['length']) for r in rows}):
        for setting in SETTINGS:
            n = len(select(length, setting, policy=name, budget=budgets[0]))
            if not n:
                continue
            print(f'\n{length} tokens, {setting} ({n} prompts): recall / ΔNLL / answers right '
                  '(of the prompts with a checkable answer; partial credit for several values)\n')
            print('| policy | ' + ' | '.join(f'B={b}' for b in budgets) + ' | eviction ms (median) |')
            print('|---|' + '---:|' * (len(budgets) + 1))
            for p in policies:
                cells, evict = [], []
                for b in budgets:
                    c = select(length, setting, policy=p, budget=b)
                    if not c:
                        cells.append('—')
                        continue
                    right = [number(x['correct']) for x in c if not math.isnan(number(x['correct']))]
                    cells.append(f"{mean([number(x['recall']) for x in c]):.3f} / "
                                 f"{mean([number(x['dnll']) for x in c]):.3f} / {sum(right):g} of {len(right)}")
                    evict += [number(x['evict_ms']) for x in c]
                if evict:
                    print(f'| {p} | ' + ' | '.join(cells) + f' | {statistics.median(evict):.0f} |')

    families = sorted({(r['task'], r['held_out']) for r in rows}, key=lambda t: (t[1], t[0]))
    for setting in SETTINGS:
        print(f'\nPer family, {setting}, every length together: ΔNLL at B = {", ".join(map(str, budgets))}\n')
        print('| family | held out | prompts | ' + ' | '.join(policies) + ' |')
        print('|---|---|---:|' + '---|' * len(policies))
        for task, held_out in families:
            cells = [' / '.join(f"{mean([number(x['dnll']) for x in select(setting=setting, task=task, policy=p, budget=b)]):.2f}"
                                for b in budgets) for p in policies]
            n = len(select(setting=setting, task=task, policy=name, budget=budgets[0]))
            print(f'| {task} | {held_out} | {n} | ' + ' | '.join(cells) + ' |')

    def wins(mine, rivals, metric, by_family):
        better = (lambda a, b: a < b) if metric == 'dnll' else (lambda a, b: a > b)
        cells = collections.defaultdict(lambda: collections.defaultdict(list))
        for r in rows:
            where = r['task'] if by_family else r['length']
            cells[(where, r['setting'], r['budget'])][r['policy']].append(number(r[metric]))
        won = total = 0
        for cell in cells.values():
            if mine in cell and all(q in cell for q in rivals):
                total += 1
                won += all(better(mean(cell[mine]), mean(cell[q])) for q in rivals)
        return f'{won} of {total}'

    print('\nCells won (mean ΔNLL lower, mean recall higher than every rival named):\n')
    print('| adapter | against | ΔNLL, length × setting × budget | ΔNLL, family × setting × budget '
          '| recall, length × setting × budget | recall, family × setting × budget |')
    print('|---|---|---:|---:|---:|---:|')
    for mine in (name, other):
        for rivals in (('snapkv',), ('laq',), ('snapkv', 'laq'), (other,)):
            if mine in rivals or not all(q in policies for q in rivals):
                continue
            print(f"| {mine} | {' and '.join(rivals)} | " +
                  ' | '.join(wins(mine, rivals, m, fam) for m in ('dnll', 'recall') for fam in (False, True)) + ' |')


if __name__ == '__main__':
    main()
