using Parity.Harness.Engine;
using Parity.Tests.Support;

namespace Parity.Tests.Engines;

/// <summary>An engine's command line and config file: what the user typed means one thing, and a bad file names the member.</summary>
[TestFixture]
public sealed class EngineConfigTests
{
    [TestCase("python3 my_engine.py", new[] { "python3", "my_engine.py" })]
    [TestCase("  ./engine   --fast\t-v ", new[] { "./engine", "--fast", "-v" })]
    [TestCase("'/opt/my engine/run' --name \"a \\\"b\\\" c\"", new[] { "/opt/my engine/run", "--name", "a \"b\" c" })]
    [TestCase("engine --x='$HOME *.gguf'", new[] { "engine", "--x=$HOME *.gguf" })]
    [TestCase("a\\ b c", new[] { "a b", "c" })]
    [TestCase("engine ''", new[] { "engine", "" })]
    public void A_command_line_splits_as_a_posix_shell_splits_plain_words_and_quotes(string line, string[] words) =>
        Assert.That(CommandWords.Split(line), Is.EqualTo(words));

    [TestCase("", "expected a command")]
    [TestCase("   ", "expected a command")]
    [TestCase("engine 'open", "the quote ' at character 8 is never closed")]
    [TestCase("engine \"open", "the quote \" at character 8 is never closed")]
    public void A_command_line_with_no_program_or_an_open_quote_is_refused(string line, string said)
    {
        var e = Assert.Throws<ArgumentException>(() => CommandWords.Split(line));
        Assert.That(e!.Message, Does.StartWith("--engine '" + line + "': "));
        Assert.That(e.Message, Does.Contain(said));
    }

    [Test]
    public void A_config_file_resolves_its_relative_paths_from_its_own_directory()
    {
        using var temp = new TempDirectory();
        var path = temp.Write("engine.json", """
            { "name": "mine", "command": ["./bin/engine", "--quiet"], "nameMap": "maps/mine.json",
              "timeoutSeconds": 90, "environment": { "MINE_THREADS": "2" } }
            """u8.ToArray());
        var config = ExternalEngineConfig.Load(path);
        Assert.That(config.Command, Is.EqualTo(new[] { temp.File("bin/engine"), "--quiet" }));
        Assert.That(config.NameMapPath, Is.EqualTo(temp.File("maps/mine.json")));
        Assert.That(config.Timeout, Is.EqualTo(TimeSpan.FromSeconds(90)));
        Assert.That(config.Environment["MINE_THREADS"], Is.EqualTo("2"));
        Assert.That(config.DisplayName, Is.EqualTo("mine"));
    }

    [Test]
    public void A_program_without_a_slash_is_looked_up_on_the_path_not_beside_the_config()
    {
        using var temp = new TempDirectory();
        var config = ExternalEngineConfig.Load(temp.Write("e.json", """{ "command": ["python3", "e.py"] }"""u8.ToArray()));
        Assert.That(config.Command[0], Is.EqualTo("python3"));
        Assert.That(config.Timeout, Is.EqualTo(ExternalEngineConfig.DefaultTimeout));
    }

    [TestCase("""[1, 2]""", "the top level: expected an object")]
    [TestCase("""{ "name": "x" }""", "command: expected a non-empty array of strings")]
    [TestCase("""{ "command": [] }""", "command: expected a non-empty array of strings")]
    [TestCase("""{ "command": ["e", 3] }""", "command[1]: expected a non-empty string")]
    [TestCase("""{ "command": ["e"], "timeoutSeconds": -4 }""", "timeoutSeconds: expected a number of seconds above 0")]
    [TestCase("""{ "command": ["e"], "environment": { "A": 1 } }""", "environment.A: expected a string")]
    [TestCase("""{ "command": ["e"], "nameMap": "" }""", "nameMap: expected a non-empty string")]
    [TestCase("""{ "command": ["e"] """, "not JSON")]
    public void A_bad_config_names_the_file_and_the_member(string json, string said)
    {
        using var temp = new TempDirectory();
        var path = temp.Write("bad.json", System.Text.Encoding.UTF8.GetBytes(json));
        var e = Assert.Throws<InvalidDataException>(() => ExternalEngineConfig.Load(path));
        Assert.That(e!.Message, Does.StartWith(path + ": "));
        Assert.That(e.Message, Does.Contain(said));
    }
}
