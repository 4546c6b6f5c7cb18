import { graphql } from '../gql';

export const SessionUserFields = graphql(`
  fragment SessionUserFields on User {
    id
    username
    displayName
    email
    role
    operator {
      id
      name
    }
  }
`);

export const LoginMutation = graphql(`
  mutation Login($identifier: String!, $password: String!) {
    login(identifier: $identifier, password: $password) {
      accessToken
      refreshToken
      expiresIn
      user {
        ...SessionUserFields
      }
    }
  }
`);

export const RefreshMutation = graphql(`
  mutation Refresh($refreshToken: String!) {
    refreshToken(refreshToken: $refreshToken) {
      accessToken
      refreshToken
      expiresIn
      user {
        ...SessionUserFields
      }
    }
  }
`);

export const LogoutMutation = graphql(`
  mutation Logout($refreshToken: String) {
    logout(refreshToken: $refreshToken)
  }
`);

export const ChangePasswordMutation = graphql(`
  mutation ChangePassword($currentPassword: String!, $newPassword: String!) {
    changePassword(currentPassword: $currentPassword, newPassword: $newPassword) {
      accessToken
      refreshToken
      expiresIn
      user {
        ...SessionUserFields
      }
    }
  }
`);
