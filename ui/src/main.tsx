// Fast Refresh runtime in dev (empty in builds); first, before any component module.
import '@vitejs/plugin-react/preamble';
// Global styles first so feature stylesheets come after them in the bundle.
import './styles/theme.css';
import './styles/base.css';
import './styles/controls.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { Providers } from './app/Providers';
import { createQueryClient } from './app/queryClient';
import { prefetchFirstPatientPage } from './features/patients/queries';

const root = document.getElementById('root');
if (!root) throw new Error('#root element missing from index.html');

const client = createQueryClient();
void prefetchFirstPatientPage(client);

createRoot(root).render(
  <StrictMode>
    <Providers client={client}>
      <App />
    </Providers>
  </StrictMode>,
);
