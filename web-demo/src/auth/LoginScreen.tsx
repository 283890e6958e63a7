// Sign in or create an account.
import { useState, type FormEvent } from 'react';
import { authenticate, AuthError, type Account } from './account.js';

export function LoginScreen({ onSignedIn }: { onSignedIn: (account: Account) => void }) {
  const [mode, setMode] = useState<'login' | 'register'>('login');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(await authenticate(mode, username.trim(), password));
    } catch (failure) {
      setError(failure instanceof AuthError ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="login">
      <form className="login-card" onSubmit={(event) => void submit(event)}>
        <h1 className="brand big">
          <span className="logo" aria-hidden="true">◆</span> Stage
        </h1>
        <p className="muted-text">Team chat with streams, topics and reviews — and a sealed session log that survives hub crashes.</p>
        <div className="tabs" role="tablist">
          <button type="button" role="tab" aria-selected={mode === 'login'} className={mode === 'login' ? 'active' : ''} onClick={() => setMode('login')}>
            Sign in
          </button>
          <button type="button" role="tab" aria-selected={mode === 'register'} className={mode === 'register' ? 'active' : ''} onClick={() => setMode('register')} data-testid="register-tab">
            Create account
          </button>
        </div>
        <label>
          Username
          <input value={username} onChange={(event) => setUsername(event.target.value)} autoComplete="username" required data-testid="username" />
        </label>
        <label>
          Password
          <input
            type="password"
            value={password}
            onChange={(event) => setPassword(event.target.value)}
            autoComplete={mode === 'login' ? 'current-password' : 'new-password'}
            required
            minLength={8}
            data-testid="password"
          />
        </label>
        {error && (
          <p className="verdict bad" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy} data-testid="submit-login">
          {mode === 'login' ? 'Sign in' : 'Create account'}
        </button>
      </form>
    </main>
  );
}
