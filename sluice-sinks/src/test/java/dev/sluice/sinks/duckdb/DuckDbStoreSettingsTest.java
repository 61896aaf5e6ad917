package dev.sluice.sinks.duckdb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.PipelineLoader;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store opens DuckDB with its memory limit and threads, for every connection it hands out. */
class DuckDbStoreSettingsTest {
    @TempDir
    Path dir;

    static Pipeline ecommerce() throws Exception {
        return PipelineLoader.withSystemEnv().load(Path.of("../examples/ecommerce/pipeline.yaml"));
    }

    static String[] settings(Connection c) throws Exception {
        try (Statement s = c.createStatement();
                ResultSet rs =
                        s.executeQuery("SELECT current_setting('memory_limit'), current_setting('threads')::VARCHAR")) {
            rs.next();
            return new String[] {rs.getString(1), rs.getString(2)};
        }
    }

    @Test
    void theLimitAndThreadsHoldForEveryConnection() throws Exception {
        try (DuckDbStore store =
                        DuckDbStore.open(ecommerce(), dir.resolve("a.duckdb"), new DuckDbStore.Settings(96L << 20, 1));
                Connection c = store.connect()) {
            assertThat(settings(c)).containsExactly("96.0 MiB", "1");
        }
    }

    @Test
    void defaultsAreOneGigabyteAndTwoThreads() throws Exception {
        try (DuckDbStore store = DuckDbStore.open(ecommerce(), dir.resolve("b.duckdb"));
                Connection c = store.connect()) {
            assertThat(settings(c)).containsExactly("1.0 GiB", "2");
        }
    }
}
