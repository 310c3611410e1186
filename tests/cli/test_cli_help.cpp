// Every `--option` that a help text names, in any description, is an option of that same
// command: `glimpse-cli --help` and `glimpse-cli COMMAND --help` for every subcommand.

#include "test_support.h"

#include <QtTest/QtTest>

namespace {

QString help_of(const QStringList& args) {
    QProcess p;
    p.start(QString::fromStdString(test_support::cli_path().string()), args + QStringList{"--help"});
    if (!p.waitForFinished(60000) || p.exitCode() != 0) return {};
    return QString::fromUtf8(p.readAllStandardOutput());
}

// The lines of a help section ("Options:", "Subcommands:") up to the next header.
QStringList section(const QString& help, const QString& header) {
    QStringList out;
    bool inside = false;
    for (const QString& line : help.split('\n')) {
        if (!line.isEmpty() && !line.front().isSpace()) inside = line.trimmed() == header;
        else if (inside) out << line;
    }
    return out;
}

// The options the command accepts: the names at the start of each entry of "Options:"
// ("  -m,--model TEXT   ..."); description lines are indented further.
QSet<QString> accepted_options(const QString& help) {
    static const QRegularExpression entry("^  (-\\S+)");
    static const QRegularExpression long_name("--[A-Za-z0-9][A-Za-z0-9-]*");
    QSet<QString> out;
    for (const QString& line : section(help, "Options:")) {
        const auto m = entry.match(line);
        if (!m.hasMatch()) continue;
        for (const auto& name : long_name.globalMatch(m.captured(1))) out.insert(name.captured(0));
    }
    return out;
}

// Every `--option` the text names that the command does not accept.
QStringList unknown_options(const QString& help) {
    static const QRegularExpression named("(?<![A-Za-z0-9-])--[A-Za-z0-9][A-Za-z0-9-]*");
    const QSet<QString> accepted = accepted_options(help);
    QStringList out;
    for (const auto& m : named.globalMatch(help))
        if (!accepted.contains(m.captured(0)) && !out.contains(m.captured(0))) out << m.captured(0);
    return out;
}

}  // namespace

class TestCliHelp : public QObject {
    Q_OBJECT

    QStringList subcommands_;

private slots:
    void initTestCase() {
        const QString top = help_of({});
        QVERIFY2(!top.isEmpty(), "glimpse-cli --help failed");
        for (const QString& line : section(top, "Subcommands:"))
            if (!line.trimmed().isEmpty()) subcommands_ << line.trimmed().section(' ', 0, 0);
        QVERIFY2(subcommands_.contains("ask") && subcommands_.contains("eval"), qPrintable(top));
    }

    void the_check_finds_an_option_that_does_not_exist() {
        const QString help =
            "Usage: x [OPTIONS]\n\nOptions:\n"
            "  -h,--help                   Print this help message and exit\n"
            "  --policy TEXT               snapkv: the last --window tokens (see --help); --bogus-knob too\n"
            "  --window INT:INT in [1 - 9]\n"
            "                              --not-an-entry\n";
        QCOMPARE(accepted_options(help), (QSet<QString>{"--help", "--policy", "--window"}));
        QCOMPARE(unknown_options(help), (QStringList{"--bogus-knob", "--not-an-entry"}));
    }

    void every_option_a_help_text_names_exists() {
        QStringList lies;
        QList<QStringList> commands{{}};
        for (const QString& name : subcommands_) commands << QStringList{name};
        for (const QStringList& command : commands) {
            const QString help = help_of(command);
            const QString label = command.isEmpty() ? "glimpse-cli" : "glimpse-cli " + command.front();
            QVERIFY2(!help.isEmpty(), qPrintable(label + " --help failed"));
            QVERIFY2(accepted_options(help).contains("--help"), qPrintable(help));
            for (const QString& option : unknown_options(help)) lies << label + ": " + option;
        }
        QVERIFY2(lies.isEmpty(), qPrintable("help names options the command does not take: " + lies.join(", ")));
    }
};

QTEST_GUILESS_MAIN(TestCliHelp)
#include "test_cli_help.moc"
