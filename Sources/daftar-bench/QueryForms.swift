import Foundation

/// The console's query forms, each a whole `daftar -c QUERY` process on the store of a million
/// entries (release build), median of several runs, against the same process doing nothing with
/// the store (`json off`): the target is on the time over that start.
func queryFormsBench(daftar: String, store: String, repeats: Int = 9) throws -> [BenchRow] {
    func run(_ command: String) throws -> Double { try timedRun(daftar, ["--db", store, "--officer", "bench", "-c", command]) }
    // The entry `refs` asks about: one that a few others name is not in the synthetic store, so
    // the form is timed as an officer meets it most: an id nothing refers to.
    let forms: [(id: String, command: String)] = [
        ("query-order", "find person order by name limit 20"),
        ("query-order-desc-where", "find person where city = Lahore order by age desc limit 10"),
        ("query-conditions", "find person where city = Lahore and (age >= 30 or name contains ali) order by name limit 20"),
        ("query-range-count", "count person where age >= 30"),
        ("query-equal-count", "count vehicle where city = Quetta"),
        ("query-contains", "find where name contains ali limit 5"),
        ("query-contains-count", "count person where name contains qureshi"),
        ("query-equal", "find person where code = C-500 limit 50"),
        ("query-offset", "find person order by name limit 20 offset 300000"),
        ("query-offset-creation", "find person limit 20 offset 300000"),
        ("query-search", "search qureshi limit 20"),
        ("query-refs", "refs bench-office-5000"),
    ]
    // Warm the page cache and the index once, as an officer's first command would.
    _ = try run("count person")
    var starts: [Double] = []
    for _ in 0..<repeats { starts.append(try run("json off")) }
    let start = median(starts)
    var rows: [BenchRow] = []
    for form in forms {
        var times: [Double] = []
        for _ in 0..<repeats { times.append(try run(form.command)) }
        let total = median(times)
        rows.append(
            BenchRow(
                id: form.id, what: "`\(form.command)`, whole process; baseline: the same process answering `json off`", value: total, unit: "ms", baseline: start,
                ratio: total / start, target: "< 100 ms over the baseline", met: total - start < 100))
    }
    return rows
}
