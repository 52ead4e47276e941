// Runs once, on the first start of an empty data volume (the mongo image's /docker-entrypoint-initdb.d), as the
// root user. One user per service, each allowed only its own database (a service owns its data, STYLE.md 1).
// Passwords come from the environment (deploy/compose/.env); nothing secret is in this file.
const services = [
  ['wxim_auth', 'im_auth', 'MONGO_AUTH_PASSWORD'],
  ['wxim_chat', 'im_chat', 'MONGO_CHAT_PASSWORD'],
  ['wxim_history', 'im_history', 'MONGO_HISTORY_PASSWORD'],
];
const admin = db.getSiblingDB('admin');
for (const [user, database, passwordVar] of services) {
  const pwd = process.env[passwordVar];
  if (!pwd) {
    throw new Error(`${passwordVar} is not set`);
  }
  admin.createUser({ user, pwd, roles: [{ role: 'readWrite', db: database }] });
  print(`created user ${user} (readWrite on ${database})`);
}
