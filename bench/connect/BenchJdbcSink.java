/*
 * BenchJdbcSink.java — the Java peer's sink connector in `make bench`: what a
 * Kafka Connect JDBC sink does for an upsert, written here because Debezium's
 * JDBC sink (io.debezium:debezium-connector-jdbc) and Confluent's
 * kafka-connect-jdbc are not served by the Maven registry this machine can
 * reach. It follows their write pattern (../shared/reference/perf.md §1.1,
 * §1.2): one prepared single-row INSERT ... ON CONFLICT (pk) DO UPDATE per
 * record, sent with JDBC addBatch/executeBatch in chunks of batch.size, one
 * transaction per put(); offsets are committed to Kafka by the framework
 * after put() returned (at-least-once, as theirs).
 *
 * Config: connection.url, connection.user, connection.password, table.name
 * (default: the topic), pk.fields (default id), batch.size (default 500,
 * Debezium's default). Columns are the value Struct's fields, in order.
 * Built by scripts/connect-fetch.sh with javac against connect-api.
 */
package io.ksink.bench;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.sink.SinkConnector;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;

public class BenchJdbcSink extends SinkConnector {
	private Map<String, String> props;

	@Override
	public String version() {
		return "1";
	}

	@Override
	public void start(Map<String, String> props) {
		this.props = new HashMap<>(props);
	}

	@Override
	public Class<? extends Task> taskClass() {
		return BenchJdbcSinkTask.class;
	}

	@Override
	public List<Map<String, String>> taskConfigs(int maxTasks) {
		List<Map<String, String>> out = new ArrayList<>();
		for (int i = 0; i < maxTasks; i++)
			out.add(new HashMap<>(props));
		return out;
	}

	@Override
	public void stop() {}

	@Override
	public ConfigDef config() {
		return new ConfigDef()
		    .define("connection.url", ConfigDef.Type.STRING, ConfigDef.Importance.HIGH, "JDBC URL")
		    .define("connection.user", ConfigDef.Type.STRING, "postgres", ConfigDef.Importance.HIGH, "user")
		    .define("connection.password", ConfigDef.Type.PASSWORD, "", ConfigDef.Importance.HIGH, "password")
		    .define("table.name", ConfigDef.Type.STRING, "", ConfigDef.Importance.HIGH, "table (default: the topic)")
		    .define("pk.fields", ConfigDef.Type.STRING, "id", ConfigDef.Importance.HIGH, "primary key column")
		    .define("batch.size", ConfigDef.Type.INT, 500, ConfigDef.Importance.MEDIUM, "rows per executeBatch");
	}

	/** One task: one connection, one prepared statement per value schema. */
	public static class BenchJdbcSinkTask extends SinkTask {
		private Connection conn;
		private String table, pk;
		private int batchSize;
		private Schema stmtSchema;
		private PreparedStatement stmt;

		@Override
		public String version() {
			return "1";
		}

		@Override
		public void start(Map<String, String> props) {
			table = props.getOrDefault("table.name", "");
			pk = props.getOrDefault("pk.fields", "id");
			batchSize = Integer.parseInt(props.getOrDefault("batch.size", "500"));
			try {
				conn = DriverManager.getConnection(props.get("connection.url"),
				    props.getOrDefault("connection.user", "postgres"),
				    props.getOrDefault("connection.password", ""));
				conn.setAutoCommit(false);
			} catch (SQLException e) {
				throw new ConnectException("connect to " + props.get("connection.url"), e);
			}
		}

		private PreparedStatement prepare(String topic, Schema schema) throws SQLException {
			if (stmt != null && schema.equals(stmtSchema))
				return stmt;
			if (stmt != null)
				stmt.close();
			StringBuilder cols = new StringBuilder(), marks = new StringBuilder(), set = new StringBuilder();
			for (Field f : schema.fields()) {
				String c = "\"" + f.name() + "\"";
				if (cols.length() > 0) {
					cols.append(", ");
					marks.append(", ");
				}
				cols.append(c);
				marks.append('?');
				if (!f.name().equals(pk))
					set.append(set.length() > 0 ? ", " : "").append(c).append(" = EXCLUDED.").append(c);
			}
			String t = table.isEmpty() ? topic : table;
			stmt = conn.prepareStatement("INSERT INTO \"" + t + "\" (" + cols + ") VALUES (" + marks
			    + ") ON CONFLICT (\"" + pk + "\") DO UPDATE SET " + set);
			stmtSchema = schema;
			return stmt;
		}

		private static void bind(PreparedStatement ps, int i, Schema s, Object v) throws SQLException {
			if (v == null) {
				ps.setNull(i, Types.OTHER);
				return;
			}
			if (org.apache.kafka.connect.data.Timestamp.LOGICAL_NAME.equals(s.name())) {
				ps.setTimestamp(i, new java.sql.Timestamp(((java.util.Date)v).getTime()));
				return;
			}
			switch (s.type()) {
			case INT8: ps.setByte(i, (Byte)v); break;
			case INT16: ps.setShort(i, (Short)v); break;
			case INT32: ps.setInt(i, (Integer)v); break;
			case INT64: ps.setLong(i, (Long)v); break;
			case FLOAT32: ps.setFloat(i, (Float)v); break;
			case FLOAT64: ps.setDouble(i, (Double)v); break;
			case BOOLEAN: ps.setBoolean(i, (Boolean)v); break;
			case STRING: ps.setString(i, (String)v); break;
			default: ps.setObject(i, v);
			}
		}

		@Override
		public void put(Collection<SinkRecord> records) {
			if (records.isEmpty())
				return;
			try {
				int n = 0;
				for (SinkRecord r : records) {
					Struct v = (Struct)r.value();
					PreparedStatement ps = prepare(r.topic(), r.valueSchema());
					int i = 1;
					for (Field f : r.valueSchema().fields())
						bind(ps, i++, f.schema(), v.get(f));
					ps.addBatch();
					if (++n % batchSize == 0)
						ps.executeBatch();
				}
				if (n % batchSize != 0)
					stmt.executeBatch();
				conn.commit();
			} catch (SQLException e) {
				try {
					conn.rollback();
				} catch (SQLException ignored) {
				}
				throw new RetriableException("put of " + records.size() + " records", e);
			}
		}

		@Override
		public void stop() {
			try {
				if (stmt != null)
					stmt.close();
				if (conn != null)
					conn.close();
			} catch (SQLException ignored) {
			}
		}
	}
}
