// Healthcheck of the compose MongoDB: initiates the one-member replica set rs0 the first time, then reports
// healthy (exit 0) only while this node is the writable primary. Idempotent; run by mongosh as root.
try {
  rs.status();
} catch (e) {
  if (e.codeName !== 'NotYetInitialized') {
    throw e;
  }
  rs.initiate({ _id: 'rs0', members: [{ _id: 0, host: 'mongo:27017' }] });
}
if (!db.hello().isWritablePrimary) {
  quit(1);
}
