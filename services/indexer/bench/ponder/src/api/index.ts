import { db } from 'ponder:api';
import schema from 'ponder:schema';
import { Hono } from 'hono';
import { graphql } from 'ponder';

// Ponder requires an API file; the bench reads the tables with SQL and only asks /ready.
const app = new Hono();
app.use('/graphql', graphql({ db, schema }));
export default app;
